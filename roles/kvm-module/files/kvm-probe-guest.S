# The KVM test guest of labplay-kvm-probe: the last 512 bytes of a 64 KiB firmware (QEMU -bios).
# It takes the steps a 64-bit guest kernel takes and prints a letter on COM1 before each one:
#   R real mode: copy itself to RAM, enter protected mode   P enter long mode (4-level paging)
#   L in long mode: cpuid   C lock cmpxchg16b (when cpuid has cx16)   X xsave/xrstor (when it has xsave)
#   W 2M iterations of a loop that stores to memory (a KVM that emulates each instruction takes seconds)
#   .  done: it writes 0x10 to isa-debug-exit (QEMU exits with 33).
# A KVM that starts QEMU but cannot run guests stops at one of the letters: the last one says where.
# The bytes ship base64-encoded in labplay-kvm-probe (seats have no assembler); rebuild them with:
#   gcc -c -o g.o kvm-probe-guest.S && ld -Ttext=0x7c00 --oformat binary -e _start -o g.bin g.o && base64 -w0 g.bin
# test/unit/role-kvm-module-probe.test.ts checks that the shipped bytes are this file's.

COM1 = 0x3f8
DEBUG_EXIT = 0xf4
LOOPS = 2000000

.code16
.globl _start
_start:
  # At F000:FE00 in the ROM. Code run from the ROM hangs some KVMs (PVM) on the jump to protected mode,
  # which real guests never do (SeaBIOS runs there fine): run from RAM at 0x7c00, where a boot sector runs.
  cli
  cld
  xor %ax, %ax
  mov %ax, %es
  mov $0x7c00, %di
  mov $0xf000, %ax
  mov %ax, %ds
  mov $0xfe00, %si
  mov $0x100, %cx
  rep movsw
  ljmp $0, $ram
ram:
  xor %ax, %ax
  mov %ax, %ds
  mov %ax, %ss
  mov $0x7c00, %sp
  mov $COM1, %dx
  mov $'R', %al
  out %al, %dx
  lgdtl gdtr
  mov %cr0, %eax
  or $1, %eax                       # PE
  mov %eax, %cr0
  ljmpl $0x08, $protected

.code32
protected:
  mov $0x10, %ax
  mov %ax, %ds
  mov %ax, %es
  mov %ax, %ss
  mov $0x7c00, %esp
  mov $'P', %al
  out %al, %dx
  # Page tables at 0x1000 (PML4), 0x2000 (PDPT), 0x3000 (PD: one 2 MiB page at 0); 0x4000 for cmpxchg16b.
  mov $0x1000, %edi
  xor %eax, %eax
  mov $0x1000, %ecx
  rep stosl
  movl $0x2003, 0x1000
  movl $0x3003, 0x2000
  movl $0x83, 0x3000
  mov $0x1000, %eax
  mov %eax, %cr3
  mov %cr4, %eax
  or $0x220, %eax                   # PAE, OSFXSR
  mov %eax, %cr4
  mov $0xc0000080, %ecx             # EFER.LME
  rdmsr
  or $0x100, %eax
  wrmsr
  mov %cr0, %eax
  or $0x80000000, %eax              # PG
  mov %eax, %cr0
  ljmp $0x18, $long

.code64
long:
  mov $COM1, %dx
  mov $'L', %al
  out %al, %dx
  mov $1, %eax
  cpuid
  mov %ecx, %esi
  mov $COM1, %dx
  bt $13, %esi                      # cx16
  jnc 1f
  mov $'C', %al
  out %al, %dx
  mov $0x4000, %edi
  xor %eax, %eax
  xor %edx, %edx
  mov $1, %ebx
  mov $2, %ecx
  lock cmpxchg16b (%rdi)
  jnz halt
  mov $COM1, %dx
1:
  bt $26, %esi                      # xsave
  jnc 2f
  mov $'X', %al
  out %al, %dx
  mov %cr4, %rax
  or $0x40000, %rax                 # OSXSAVE
  mov %rax, %cr4
  xor %ecx, %ecx
  mov $3, %eax                      # XCR0 = x87 | SSE
  xor %edx, %edx
  xsetbv
  mov $0x5000, %edi
  mov $3, %eax
  xsave (%rdi)
  xrstor (%rdi)
  mov $COM1, %dx
2:
  mov $'W', %al
  out %al, %dx
  xor %eax, %eax
  mov $LOOPS, %ecx
3:
  mov %ecx, %edi
  and $0xffff8, %edi
  mov %rax, 0x100000(%rdi)
  add %rcx, %rax
  dec %ecx
  jnz 3b
  mov $'.', %al
  out %al, %dx
  mov $'\n', %al
  out %al, %dx
  mov $DEBUG_EXIT, %dx
  mov $0x10, %al
  out %al, %dx
halt:
  cli
  hlt
  jmp halt

.p2align 3
gdt:
  .quad 0
  .quad 0x00cf9a000000ffff          # 0x08: 32-bit code
  .quad 0x00cf92000000ffff          # 0x10: data
  .quad 0x00af9a000000ffff          # 0x18: 64-bit code
gdtr:
  .word gdtr - gdt - 1
  .long gdt

# The reset vector, F000:FFF0.
.code16
.org 0x1f0
  ljmp $0xf000, $0xfe00
.org 0x200
