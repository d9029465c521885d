package jmck.cli;

import java.util.List;
import jmck.cli.args.ValueType;
import jmck.emulator.JmckException;
import jmck.ihk.CpuSet;

/** The value types of jmck's own options: sizes, core lists, gdb addresses, environment assignments. */
final class Values {
    private Values() {}

    /** A number of bytes: 512M, 2G, 4k, 1048576. */
    static ValueType<Long> size() {
        return new ValueType<>(new ValueType.Parse<Long>() {
            @Override
            public Long parse(String s) {
                try {
                    return Sizes.parse(s);
                } catch (JmckException e) {
                    throw new IllegalArgumentException("is not a size (a number with K, M or G, like 512M)");
                }
            }
        });
    }

    /** Core numbers as IHK writes them: 1-3,5. */
    static ValueType<CpuSet> cpuList() {
        return new ValueType<>(new ValueType.Parse<CpuSet>() {
            @Override
            public CpuSet parse(String s) {
                try {
                    CpuSet set = CpuSet.parse(s);
                    if (set.isEmpty())
                        throw new IllegalArgumentException("is not a core list (numbers and ranges like 1-3,5)");
                    return set;
                } catch (JmckException e) {
                    throw new IllegalArgumentException("is not a core list (numbers and ranges like 1-3,5)");
                }
            }
        });
    }

    /** [HOST]:PORT for gdb; port 0 picks a free one. Kept as text: the stub resolves the host. */
    static ValueType<String> hostPort() {
        return new ValueType<>(new ValueType.Parse<String>() {
            @Override
            public String parse(String s) {
                int colon = s.lastIndexOf(':');
                try {
                    int port = Integer.parseInt(s.substring(colon + 1));
                    if (colon < 0 || port < 0 || port > 65535)
                        throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("is not [HOST]:PORT (like :1234 or localhost:1234)");
                }
                return s;
            }
        });
    }

    /** VAR=VALUE for the guest's environment. */
    static ValueType<String> assignment() {
        return new ValueType<>(new ValueType.Parse<String>() {
            @Override
            public String parse(String s) {
                int eq = s.indexOf('=');
                if (eq <= 0)
                    throw new IllegalArgumentException("is not VAR=VALUE");
                return s;
            }
        });
    }

    /** The name of an environment variable (no '='). */
    static ValueType<String> variableName() {
        return new ValueType<>(new ValueType.Parse<String>() {
            @Override
            public String parse(String s) {
                if (s.isEmpty() || s.contains("="))
                    throw new IllegalArgumentException("is not a variable name");
                return s;
            }
        });
    }

    /** An instance number (McKernel's mcos-id; IHK's -n). */
    static ValueType<Integer> instance() {
        return ValueType.integer(0, Integer.MAX_VALUE);
    }

    /** The guest's environment: env with each VAR=VALUE of set put in (replacing VAR in place) and each VAR of unset taken out. */
    static List<String> environment(List<String> env, List<String> set, List<String> unset) {
        java.util.List<String> out = new java.util.ArrayList<>(env);
        for (String a : set) {
            String prefix = a.substring(0, a.indexOf('=') + 1);
            int at = -1;
            for (int i = 0; i < out.size() && at < 0; i++)
                if (out.get(i).startsWith(prefix))
                    at = i;
            if (at >= 0)
                out.set(at, a);
            else
                out.add(a);
        }
        for (String name : unset)
            out.removeIf(e -> e.startsWith(name + "="));
        return out;
    }
}
