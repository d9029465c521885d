package jmck.emulator.host;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Native memory that knows its host address, for the arguments and results of host system calls (a stat
 * buffer, a path, an iovec array): a direct buffer in native byte order, freed when it is no longer
 * reachable. It does what JNA's Memory did for the proxy, without JNA's start-up (tens of milliseconds of
 * CPU in every run: docs/performance.md). Offsets are checked by the buffer; addresses handed to the host
 * are the caller's to get right.
 */
public final class HostBuffer {
    private final ByteBuffer bytes;
    private final long address;

    private HostBuffer(ByteBuffer bytes, long address) {
        this.bytes = bytes;
        this.address = address;
    }

    /** size bytes of zeroed native memory. */
    public static HostBuffer allocate(long size) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(size)).order(ByteOrder.nativeOrder());
        return new HostBuffer(b, HostMemory.address(b));
    }

    /** The memory at [address, address+size), which someone else owns and keeps alive. */
    public static HostBuffer over(long address, long size) {
        return new HostBuffer(HostMemory.buffer(address, size), address);
    }

    /** A NUL-terminated UTF-8 copy of s. */
    public static HostBuffer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        HostBuffer m = allocate(b.length + 1L);
        m.write(0, b, 0, b.length);
        return m;
    }

    /** Where the memory is, for a pointer argument: keep this object reachable until the call returns. */
    public long address() {
        return address;
    }

    public long size() {
        return bytes.capacity();
    }

    /** [offset, offset+length) of this memory, sharing it (and keeping it alive). */
    public HostBuffer share(long offset, long length) {
        ByteBuffer s = bytes.slice(Math.toIntExact(offset), Math.toIntExact(length)).order(ByteOrder.nativeOrder());
        return new HostBuffer(s, address + offset);
    }

    /** Zeroes all of it. */
    public void clear() {
        clear(size());
    }

    /** Zeroes the first length bytes (memory from an arena holds what its last user left). */
    public void clear(long length) {
        HostMemory.fill(address, length, (byte) 0);
    }

    public long getLong(long offset) {
        return bytes.getLong((int) offset);
    }

    public void setLong(long offset, long value) {
        bytes.putLong((int) offset, value);
    }

    public int getInt(long offset) {
        return bytes.getInt((int) offset);
    }

    public void setInt(long offset, int value) {
        bytes.putInt((int) offset, value);
    }

    public short getShort(long offset) {
        return bytes.getShort((int) offset);
    }

    public void setShort(long offset, short value) {
        bytes.putShort((int) offset, value);
    }

    public byte getByte(long offset) {
        return bytes.get((int) offset);
    }

    public void setByte(long offset, byte value) {
        bytes.put((int) offset, value);
    }

    /** Copies length bytes at offset into dst[index..]. */
    public void read(long offset, byte[] dst, int index, int length) {
        bytes.get((int) offset, dst, index, length);
    }

    /** Copies src[index..index+length) to offset. */
    public void write(long offset, byte[] src, int index, int length) {
        bytes.put((int) offset, src, index, length);
    }

    public byte[] getByteArray(long offset, int length) {
        byte[] b = new byte[length];
        read(offset, b, 0, length);
        return b;
    }

    /** s in UTF-8 at offset, with a terminating NUL. */
    public void setString(long offset, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        write(offset, b, 0, b.length);
        setByte(offset + b.length, (byte) 0);
    }

    /** The NUL-terminated UTF-8 string at offset (up to the end of the memory if it has no NUL). */
    public String getString(long offset) {
        int end = (int) offset;
        while (end < bytes.capacity() && bytes.get(end) != 0)
            end++;
        return new String(getByteArray(offset, end - (int) offset), StandardCharsets.UTF_8);
    }
}
