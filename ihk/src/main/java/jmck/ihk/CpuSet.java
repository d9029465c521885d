package jmck.ihk;

import java.util.BitSet;
import jmck.emulator.JmckException;

/** A set of core numbers written as IHK writes them: "1-3,5". */
public final class CpuSet {
    private final BitSet bits;

    private CpuSet(BitSet bits) {
        this.bits = bits;
    }

    public static CpuSet empty() {
        return new CpuSet(new BitSet());
    }

    public static CpuSet of(int... cpus) {
        BitSet b = new BitSet();
        for (int c : cpus)
            b.set(c);
        return new CpuSet(b);
    }

    /** Parses "1-3,5"; "" is the empty set. */
    public static CpuSet parse(String s) {
        BitSet b = new BitSet();
        if (s == null || s.isBlank())
            return new CpuSet(b);
        for (String part : s.split(",")) {
            String p = part.trim();
            try {
                int dash = p.indexOf('-');
                int lo = Integer.parseInt(dash < 0 ? p : p.substring(0, dash));
                int hi = dash < 0 ? lo : Integer.parseInt(p.substring(dash + 1));
                if (lo < 0 || hi < lo || hi > 4095)
                    throw new NumberFormatException();
                b.set(lo, hi + 1);
            } catch (NumberFormatException e) {
                throw new JmckException("bad cpu list '" + s + "': use numbers and ranges like 1-3,5");
            }
        }
        return new CpuSet(b);
    }

    public boolean isEmpty() {
        return bits.isEmpty();
    }

    public int size() {
        return bits.cardinality();
    }

    public boolean contains(int cpu) {
        return bits.get(cpu);
    }

    public boolean containsAll(CpuSet other) {
        BitSet b = (BitSet) other.bits.clone();
        b.andNot(bits);
        return b.isEmpty();
    }

    public boolean intersects(CpuSet other) {
        return bits.intersects(other.bits);
    }

    public CpuSet plus(CpuSet other) {
        BitSet b = (BitSet) bits.clone();
        b.or(other.bits);
        return new CpuSet(b);
    }

    public CpuSet minus(CpuSet other) {
        BitSet b = (BitSet) bits.clone();
        b.andNot(other.bits);
        return new CpuSet(b);
    }

    public int highest() {
        return bits.length() - 1;
    }

    public int[] toArray() {
        return bits.stream().toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CpuSet && ((CpuSet) o).bits.equals(bits);
    }

    @Override
    public int hashCode() {
        return bits.hashCode();
    }

    /** "1-3,5" */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (int i = bits.nextSetBit(0); i >= 0; ) {
            int end = bits.nextClearBit(i) - 1;
            if (sb.length() > 0)
                sb.append(',');
            sb.append(i);
            if (end > i)
                sb.append('-').append(end);
            i = bits.nextSetBit(end + 1);
        }
        return sb.toString();
    }
}
