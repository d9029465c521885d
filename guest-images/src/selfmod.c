// Self-modifying code: a program that writes instructions, runs them, rewrites them in place and runs
// them again must see the new ones (x86 keeps code and data coherent). Under jmck the emulator translates
// code once and must notice the later write: the page's TLB entry is marked when its code is translated,
// so that a store to it drops the translation. Covers code in the middle of a page, an instruction that
// crosses into the next page with only its tail rewritten, and code that ran hot before it was rewritten.
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

typedef int (*fn)(void);

// mov eax, imm32; ret
static void emit(volatile uint8_t *p, int32_t v) {
    p[0] = 0xb8;
    memcpy((void *)(p + 1), &v, 4);
    p[5] = 0xc3;
}

int main(void) {
    volatile uint8_t *code = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (code == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    int wrong = 0;

    // mid-page: rewritten 1000 times, each version run 3 times
    volatile uint8_t *mid = code + 1000;
    for (int i = 0; i < 1000; i++) {
        emit(mid, i * 7);
        for (int k = 0; k < 3; k++)
            if (((fn)mid)() != i * 7)
                wrong++;
    }
    printf("mid-page: %d wrong of 3000\n", wrong);

    // an instruction crossing pages 1 and 2: its opcode and first immediate byte on page 1, the rest on
    // page 2; only page 2's bytes change
    wrong = 0;
    volatile uint8_t *cross = code + 2 * 4096 - 2;
    emit(cross, 0x11000000);
    for (int i = 0; i < 256; i++) {
        cross[3] = (uint8_t)i; // third immediate byte: on page 2
        int want = 0x11000000 | (i << 16);
        if (((fn)cross)() != want)
            wrong++;
    }
    printf("page-crossing: %d wrong of 256\n", wrong);

    // hot code: run 100000 times, then rewritten once
    volatile uint8_t *hot = code + 3 * 4096 - 64;
    emit(hot, 1);
    long sum = 0;
    for (int i = 0; i < 100000; i++)
        sum += ((fn)hot)();
    emit(hot, 2);
    printf("hot: sum %ld, then %d\n", sum, ((fn)hot)());
    return 0;
}
