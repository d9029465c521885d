package jmck.emulator.unicorn;

import jmck.emulator.JmckException;

/** A Unicorn call returned an error: carries the uc_err code and uc_strerror's text. */
public final class UnicornException extends JmckException {
    private static final long serialVersionUID = 1L;

    /** uc_err values that callers act on. */
    public static final int UC_ERR_OK = 0;
    public static final int UC_ERR_NOMEM = 1;
    public static final int UC_ERR_READ_UNMAPPED = 6;
    public static final int UC_ERR_WRITE_UNMAPPED = 7;
    public static final int UC_ERR_FETCH_UNMAPPED = 8;
    public static final int UC_ERR_INSN_INVALID = 10;
    public static final int UC_ERR_EXCEPTION = 21;

    private final int code;

    public UnicornException(String call, int code) {
        super(call + ": " + UnicornNative.uc_strerror(code) + " (uc_err " + code + ")");
        this.code = code;
    }

    /** The uc_err code. */
    public int code() {
        return code;
    }

    static void check(String call, int code) {
        if (code != UC_ERR_OK)
            throw new UnicornException(call, code);
    }
}
