package jmck.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import jmck.emulator.JmckException;
import jmck.emulator.capstone.Disassembler;
import jmck.emulator.unicorn.Unicorn;

/** jmck --version: jmck's own version, and the versions of the libraries it runs on as they report them. */
final class Versions {
    private Versions() {}

    /** jmck's version (the Maven project's). */
    static String jmck() {
        try (InputStream in = Versions.class.getResourceAsStream("version.txt")) {
            return in == null ? "unknown" : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** Three lines or four: jmck, Unicorn, Capstone, the Java VM. A library that does not load says why. */
    static String text() {
        StringBuilder b = new StringBuilder("jmck ").append(jmck()).append('\n');
        b.append("Unicorn ").append(library(Unicorn::version)).append('\n');
        b.append("Capstone ").append(library(Disassembler::version)).append('\n');
        b.append("Java ").append(System.getProperty("java.vm.name")).append(' ').append(Runtime.version()).append('\n');
        return b.toString();
    }

    private static String library(java.util.function.Supplier<String> version) {
        try {
            return version.get();
        } catch (JmckException e) {
            return "not loaded: " + e.getMessage();
        } catch (ExceptionInInitializerError e) { // the binding's class could not load the library
            return "not loaded: " + (e.getCause() == null ? e : e.getCause().getMessage());
        } catch (LinkageError e) {
            return "not loaded: " + e.getMessage();
        }
    }
}
