package jmck.debug;

import jmck.emulator.Cpu;
import jmck.emulator.X86Reg;
import jmck.lwk.arch.X86;
import jmck.lwk.mm.AddressSpace;

/**
 * How a debugger's user names an address: 0x hex, a decimal number, a symbol from the program's or a
 * loaded library's symbol table (main, puts), symbol+offset (touch+24), or a register ($rsp). Shared by the stepper's command line and its web
 * page; a word that names nothing is a {@link BadCommand} that says why.
 */
public final class Addresses {
    private Addresses() {}

    /** word as a user-half address in mm; cpu holds the stopped thread's registers, inspect names symbols. */
    public static long parse(String word, Inspector inspect, AddressSpace mm, Cpu cpu) {
        String w = word.strip();
        if (w.isEmpty())
            throw new BadCommand("missing address: give a hex address (0x401000), a symbol (main) or a register ($rsp)");
        long offset = 0;
        int plus = w.indexOf('+', 1);
        if (plus > 0) {
            try {
                offset = Long.decode(w.substring(plus + 1));
            } catch (NumberFormatException e) {
                throw new BadCommand("bad address '" + w + "': the offset after + must be a number");
            }
            w = w.substring(0, plus);
        }
        long va;
        if (w.startsWith("$")) {
            try {
                va = cpu.reg(X86Reg.valueOf(w.substring(1).toUpperCase()));
            } catch (IllegalArgumentException e) {
                throw new BadCommand("bad address '" + w + "': no register " + w.substring(1));
            }
        } else if (w.startsWith("0x") || w.startsWith("0X") || Character.isDigit(w.charAt(0))) {
            try {
                va = w.startsWith("0x") || w.startsWith("0X") ? Long.parseUnsignedLong(w.substring(2), 16)
                        : Long.parseLong(w);
            } catch (NumberFormatException e) {
                throw new BadCommand("bad address '" + w + "': give a hex address (0x401000), a symbol or a register");
            }
        } else {
            va = inspect.address(mm, w);
            if (va < 0)
                throw new BadCommand("bad address '" + w + "': no such symbol"
                        + (inspect.programHasNoSymbols() ? " (the program has no symbol table)" : ""));
        }
        va += offset;
        if (!X86.isUserAddress(va))
            throw new BadCommand(String.format("bad address %#x: not in the user half of the address space (0 to %#x)", va,
                    X86.USER_TOP));
        return va;
    }
}
