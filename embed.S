/*
 * embed.S - the BPF object, linked into the binary as read-only bytes.
 *
 * C11 has no #embed; .incbin is understood by the GNU and LLVM assemblers on
 * every target we build for. BPF_OBJECT is the object's path, set by the
 * Makefile. The 8-byte alignment is a courtesy: the ELF reader copies every
 * structure with memcpy and does not depend on it.
 */
	.section .rodata
	.balign 8
	.globl prog_obj_start
prog_obj_start:
	.incbin BPF_OBJECT
	.globl prog_obj_end
prog_obj_end:
	.byte 0
#if defined(__linux__) && defined(__ELF__)
	.section .note.GNU-stack,"",%progbits
#endif
