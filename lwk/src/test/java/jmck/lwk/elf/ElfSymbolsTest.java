package jmck.lwk.elf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** Issue 7: symbols from .symtab name code addresses for the stepper and find functions by name. */
class ElfSymbolsTest {
    private static Path guest(String flavor, String name) {
        return Paths.get(System.getProperty("jmck.root", "..")).resolve("guest-images/out").resolve(flavor).resolve(name);
    }

    @Test
    void namesAddressesInsideFunctionsAndFindsThemByName() {
        ElfSymbols s = ElfSymbols.read(ElfImage.open(guest("gcc", "step_pages")));
        long touch = s.address("touch"), main = s.address("main");
        assertTrue(touch > 0x400000 && main > 0x400000, touch + " " + main);
        assertEquals("touch", s.describe(touch));
        assertEquals("touch+24", s.describe(touch + 24));
        assertEquals("main", s.at(main).name());
        assertEquals(-1, s.address("no_such_symbol"));
        assertEquals("", s.describe(0x10));
    }

    @Test
    void aPositionIndependentProgramsSymbolsMoveWithItsLoadBias() {
        ElfSymbols file = ElfSymbols.read(ElfImage.open(guest("gcc-pie", "step_pages")));
        long touch = file.address("touch");
        ElfSymbols loaded = file.withBias(0x7ffff7d00000L);
        assertEquals(touch + 0x7ffff7d00000L, loaded.address("touch"));
        assertEquals("touch+2", loaded.describe(touch + 0x7ffff7d00000L + 2));
    }

    @Test
    void noSymbolTableMeansNoSymbols() {
        ByteBuffer b = ElfImage.open(guest("gcc", "hello")).contents();
        ByteBuffer noSections = ByteBuffer.allocate(b.capacity()).put(b);
        noSections.putLong(40, 0); // e_shoff = 0: no section headers, as in a stripped-down file
        ElfSymbols s = ElfSymbols.read(ElfImage.parse("x", null, noSections.flip()));
        assertTrue(s.isEmpty());
        assertNull(s.at(0x401000));
    }
}
