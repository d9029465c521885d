package jmck.emulator.capstone;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Issue 7: the Capstone binding decodes real x86-64 bytes in Intel syntax. */
class DisassemblerTest {
    @Test
    void decodesInstructionsWithAddressesAndSizes() {
        // mov byte ptr [rax], 1 ; syscall ; ret
        byte[] code = {(byte) 0xc6, 0x00, 0x01, 0x0f, 0x05, (byte) 0xc3};
        try (Disassembler d = new Disassembler()) {
            List<Disassembler.Insn> l = d.disassemble(code, 0x401000, 10);
            assertEquals(3, l.size());
            assertEquals("mov byte ptr [rax], 1", l.get(0).text());
            assertEquals(0x401000, l.get(0).address());
            assertEquals("c6 00 01", l.get(0).hex());
            assertEquals("syscall", l.get(1).text());
            assertEquals(0x401003, l.get(1).address());
            assertEquals("ret", l.get(2).text());
        }
    }

    @Test
    void stopsAtBytesThatAreNoInstruction() {
        try (Disassembler d = new Disassembler()) {
            assertTrue(d.disassemble(new byte[] {0x0f, 0x0b, 0x0f}, 0, 5).size() <= 1); // ud2, then a cut-off opcode
            assertEquals(0, d.disassemble(new byte[0], 0, 5).size());
        }
    }
}
