package jmck.ihk;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import jmck.emulator.PhysicalMemory;

/**
 * The control messages between an instance daemon and its clients (mcexec, `jmck ihk`), over the
 * instance's Unix socket: McKernel's ioctls on /dev/mcos0 and its SCD_MSG_* packets, as records.
 * Each message is a type byte and its fields in DataOutput encoding.
 */
public final class Control {
    private Control() {}

    /** A message. */
    public sealed interface Message permits Prepare, Prepared, Start, Signal, Exited, Failed, Query, Reply,
            AddCpu, RemoveCpu, AddMemory, RemoveMemory, Shutdown {}

    /** mcexec: create a process for exe (PREPARE_IMAGE); the reply is {@link Prepared} or {@link Failed}. */
    public record Prepare(String exe, String execfn, List<String> argv, List<String> env, long uid, long gid, long euid,
            long egid, long[] rlimitSoft, long[] rlimitHard, int umask, long proxyPid) implements Message {}

    /** The process exists: its pid, its IKC channel and doorbell files, and the memory blocks to map. */
    public record Prepared(int pid, String ikcDirectory, List<PhysicalMemory.Block> blocks) implements Message {}

    /** mcexec is serving the channel: let the process run (SCHEDULE_PROCESS). */
    public record Start() implements Message {}

    /** Deliver a signal to the guest process (mcexec got Ctrl-C, say). */
    public record Signal(int signal) implements Message {}

    /** A guest process ended: its wait status and, if a signal killed it, a line saying so. */
    public record Exited(int pid, int waitStatus, String message) implements Message {}


    /** A request failed: the reason, for the user. */
    public record Failed(String message) implements Message {}

    /** `jmck ihk status` / `kmsg` / `clear_kmsg`: the reply is {@link Reply}. */
    public record Query(String what) implements Message {}

    public record Reply(String text) implements Message {}

    /** Hot-plug: give the running instance one more core, or take one back. */
    public record AddCpu(int cpu) implements Message {}

    public record RemoveCpu(int cpu) implements Message {}

    /** Hot-plug: map another reserved memory block into the instance, or take one back. */
    public record AddMemory(PhysicalMemory.Block block) implements Message {}

    public record RemoveMemory(PhysicalMemory.Block block) implements Message {}

    /** Stop the instance: kill its processes, release its cores and memory. */
    public record Shutdown() implements Message {}

    /** One connection over the instance's Unix socket. */
    public static final class Link implements AutoCloseable {
        private final java.nio.channels.SocketChannel channel;
        private final DataInputStream in;
        private final DataOutputStream out;

        public Link(java.nio.channels.SocketChannel channel) {
            this.channel = channel;
            // Not Channels.newInputStream/newOutputStream: those lock the channel's blockingLock, so a thread
            // blocked reading would stop another from writing. SocketChannel reads and writes independently.
            this.in = new DataInputStream(new java.io.BufferedInputStream(new java.io.InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] b = new byte[1];
                    return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return channel.read(java.nio.ByteBuffer.wrap(b, off, len));
                }
            }));
            this.out = new DataOutputStream(new java.io.BufferedOutputStream(new java.io.OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b, off, len);
                    while (buf.hasRemaining())
                        channel.write(buf);
                }
            }));
        }

        /** Connects to the socket at path. */
        public static Link connect(java.nio.file.Path path) throws IOException {
            java.nio.channels.SocketChannel ch = java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            try {
                ch.connect(java.net.UnixDomainSocketAddress.of(path));
            } catch (IOException e) {
                ch.close();
                throw e;
            }
            return new Link(ch);
        }

        /** Sends m; false if the peer is gone. */
        public boolean send(Message m) {
            try {
                write(out, m);
                return true;
            } catch (IOException e) {
                return false;
            }
        }

        /** The next message, or null when the peer closed the connection. */
        public Message receive() throws IOException {
            return read(in);
        }

        @Override
        public void close() {
            try {
                channel.close();
            } catch (IOException e) {
                // already closed
            }
        }
    }

    public static void write(DataOutputStream out, Message m) throws IOException {
        synchronized (out) {
            if (m instanceof Prepare p) {
                out.writeByte(1);
                out.writeUTF(p.exe());
                out.writeUTF(p.execfn());
                strings(out, p.argv());
                strings(out, p.env());
                out.writeLong(p.uid());
                out.writeLong(p.gid());
                out.writeLong(p.euid());
                out.writeLong(p.egid());
                longs(out, p.rlimitSoft());
                longs(out, p.rlimitHard());
                out.writeInt(p.umask());
                out.writeLong(p.proxyPid());
            } else if (m instanceof Prepared p) {
                out.writeByte(2);
                out.writeInt(p.pid());
                out.writeUTF(p.ikcDirectory());
                out.writeInt(p.blocks().size());
                for (PhysicalMemory.Block b : p.blocks())
                    block(out, b);
            } else if (m instanceof Start) {
                out.writeByte(3);
            } else if (m instanceof Signal s) {
                out.writeByte(4);
                out.writeInt(s.signal());
            } else if (m instanceof Exited e) {
                out.writeByte(5);
                out.writeInt(e.pid());
                out.writeInt(e.waitStatus());
                out.writeUTF(e.message());
            } else if (m instanceof Failed f) {
                out.writeByte(6);
                out.writeUTF(f.message());
            } else if (m instanceof Query q) {
                out.writeByte(7);
                out.writeUTF(q.what());
            } else if (m instanceof Reply r) {
                out.writeByte(8);
                bigString(out, r.text());
            } else if (m instanceof AddCpu a) {
                out.writeByte(9);
                out.writeInt(a.cpu());
            } else if (m instanceof RemoveCpu r) {
                out.writeByte(10);
                out.writeInt(r.cpu());
            } else if (m instanceof AddMemory a) {
                out.writeByte(11);
                block(out, a.block());
            } else if (m instanceof RemoveMemory r) {
                out.writeByte(12);
                block(out, r.block());
            } else if (m instanceof Shutdown) {
                out.writeByte(13);
            }
            out.flush();
        }
    }

    /** Reads one message; null at the end of the stream (the peer is gone). */
    public static Message read(DataInputStream in) throws IOException {
        int type;
        try {
            type = in.readUnsignedByte();
        } catch (EOFException e) {
            return null;
        }
        switch (type) {
            case 1:
                return new Prepare(in.readUTF(), in.readUTF(), strings(in), strings(in), in.readLong(), in.readLong(),
                        in.readLong(), in.readLong(), longs(in), longs(in), in.readInt(), in.readLong());
            case 2: {
                int pid = in.readInt();
                String ikcDirectory = in.readUTF();
                int n = in.readInt();
                List<PhysicalMemory.Block> blocks = new ArrayList<>();
                for (int i = 0; i < n; i++)
                    blocks.add(block(in));
                return new Prepared(pid, ikcDirectory, blocks);
            }
            case 3:
                return new Start();
            case 4:
                return new Signal(in.readInt());
            case 5:
                return new Exited(in.readInt(), in.readInt(), in.readUTF());
            case 6:
                return new Failed(in.readUTF());
            case 7:
                return new Query(in.readUTF());
            case 8:
                return new Reply(bigString(in));
            case 9:
                return new AddCpu(in.readInt());
            case 10:
                return new RemoveCpu(in.readInt());
            case 11:
                return new AddMemory(block(in));
            case 12:
                return new RemoveMemory(block(in));
            case 13:
                return new Shutdown();
            default:
                throw new IOException("unknown control message " + type);
        }
    }

    private static void strings(DataOutputStream out, List<String> l) throws IOException {
        out.writeInt(l.size());
        for (String s : l)
            bigString(out, s);
    }

    private static List<String> strings(DataInputStream in) throws IOException {
        int n = in.readInt();
        List<String> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++)
            l.add(bigString(in));
        return l;
    }

    private static void bigString(DataOutputStream out, String s) throws IOException {
        byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    private static String bigString(DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void longs(DataOutputStream out, long[] v) throws IOException {
        out.writeInt(v.length);
        for (long x : v)
            out.writeLong(x);
    }

    private static long[] longs(DataInputStream in) throws IOException {
        long[] v = new long[in.readInt()];
        for (int i = 0; i < v.length; i++)
            v[i] = in.readLong();
        return v;
    }

    private static void block(DataOutputStream out, PhysicalMemory.Block b) throws IOException {
        out.writeLong(b.base());
        out.writeLong(b.size());
        out.writeUTF(b.file().toString());
    }

    private static PhysicalMemory.Block block(DataInputStream in) throws IOException {
        return new PhysicalMemory.Block(in.readLong(), in.readLong(), java.nio.file.Path.of(in.readUTF()));
    }
}
