package jmck.lwk.elf;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The function and object symbols of an ELF file's .symtab, or of its .dynsym when it has no .symtab (a
 * stripped shared library keeps the symbols it exports there), for naming code addresses as
 * {@code main+20} and finding {@code main} by name. Addresses are the file's own; a position-independent
 * program or library adds its load bias ({@link #withBias}).
 */
public final class ElfSymbols {
    /** One symbol: [address, address+size). */
    public record Symbol(String name, long address, long size) {}

    private static final int SHT_SYMTAB = 2, SHT_DYNSYM = 11, SHDR_SIZE = 64, SYM_SIZE = 24;
    private static final int STT_OBJECT = 1, STT_FUNC = 2, STT_GNU_IFUNC = 10;

    private final Symbol[] byAddress;
    private final Map<String, Symbol> byName;
    private final long bias;

    private ElfSymbols(Symbol[] byAddress, Map<String, Symbol> byName, long bias) {
        this.byAddress = byAddress;
        this.byName = byName;
        this.bias = bias;
    }

    public static final ElfSymbols NONE = new ElfSymbols(new Symbol[0], Map.of(), 0);

    /** Reads .symtab (or .dynsym); an image without either, or with a malformed one, has no symbols. */
    public static ElfSymbols read(ElfImage elf) {
        return read(elf.contents());
    }

    /** The symbols of the ELF file whose bytes b holds (little-endian); NONE for anything malformed. */
    public static ElfSymbols read(ByteBuffer b) {
        try {
            ElfSymbols s = parse(b, SHT_SYMTAB);
            return s.isEmpty() ? parse(b, SHT_DYNSYM) : s;
        } catch (IndexOutOfBoundsException | IllegalArgumentException e) {
            return NONE;
        }
    }

    private static ElfSymbols parse(ByteBuffer b, int tableType) {
        if (b.capacity() < 64 || b.getInt(0) != 0x464c457f)
            return NONE;
        long shoff = b.getLong(40);
        int shentsize = Short.toUnsignedInt(b.getShort(58)), shnum = Short.toUnsignedInt(b.getShort(60));
        if (shoff == 0 || shentsize != SHDR_SIZE)
            return NONE;
        List<Symbol> syms = new ArrayList<>();
        for (int i = 0; i < shnum; i++) {
            int sh = (int) (shoff + (long) i * SHDR_SIZE);
            if (b.getInt(sh + 4) != tableType)
                continue;
            long off = b.getLong(sh + 24), size = b.getLong(sh + 32);
            int link = b.getInt(sh + 40);
            long strOff = b.getLong((int) (shoff + (long) link * SHDR_SIZE) + 24);
            for (long o = off; o + SYM_SIZE <= off + size; o += SYM_SIZE) {
                int s = (int) o;
                int type = b.get(s + 4) & 0xf;
                long value = b.getLong(s + 8), symSize = b.getLong(s + 16);
                if ((type != STT_FUNC && type != STT_OBJECT && type != STT_GNU_IFUNC) || value == 0)
                    continue;
                String name = cString(b, strOff + Integer.toUnsignedLong(b.getInt(s)));
                if (!name.isEmpty())
                    syms.add(new Symbol(name, value, symSize));
            }
        }
        Symbol[] sorted = syms.toArray(new Symbol[0]);
        // Of aliases at one address, at() names the last: a public name (puts) rather than an internal one (_IO_puts).
        Arrays.sort(sorted, Comparator.comparingLong(Symbol::address).thenComparing(s -> s.size() == 0)
                .thenComparing(s -> !s.name().startsWith("_")));
        Map<String, Symbol> names = new HashMap<>();
        for (Symbol s : sorted)
            names.merge(s.name(), s, (a, c) -> a.size() >= c.size() ? a : c);
        return new ElfSymbols(sorted, names, 0);
    }

    private static String cString(ByteBuffer b, long at) {
        StringBuilder sb = new StringBuilder();
        for (int i = (int) at; i < b.capacity() && b.get(i) != 0; i++)
            sb.append((char) b.get(i));
        return sb.toString();
    }

    /** The same symbols for a program loaded bias bytes above its file addresses (static-pie). */
    public ElfSymbols withBias(long bias) {
        return new ElfSymbols(byAddress, byName, bias);
    }

    public boolean isEmpty() {
        return byAddress.length == 0;
    }

    /** The address of a symbol, or -1. */
    public long address(String name) {
        Symbol s = byName.get(name);
        return s == null ? -1 : s.address() + bias;
    }

    /** The symbol covering addr (or the nearest one below it when sizes are unknown), or null. */
    public Symbol at(long addr) {
        long a = addr - bias;
        int lo = 0, hi = byAddress.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (byAddress[mid].address() <= a) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        for (int i = found; i >= 0 && i > found - 8; i--) { // a sized symbol may cover a zero-sized one after it
            Symbol s = byAddress[i];
            if (a < s.address() + Math.max(s.size(), 1))
                return s;
        }
        return found >= 0 && byAddress[found].size() == 0 ? byAddress[found] : null;
    }

    /** How far addr lies past the start of the symbol that covers it, or -1 when none does. */
    public long offset(long addr) {
        Symbol s = at(addr);
        return s == null ? -1 : addr - bias - s.address();
    }

    /** "main+20", "main", or "" when no symbol covers addr. */
    public String describe(long addr) {
        Symbol s = at(addr);
        if (s == null)
            return "";
        long off = addr - bias - s.address();
        return off == 0 ? s.name() : s.name() + "+" + off;
    }
}
