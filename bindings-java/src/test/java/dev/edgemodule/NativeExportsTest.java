package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * {@code Native.java} is a hand-written mirror of the library's JNI exports: this test
 * checks it against the library. Every export is named with its JNI <em>long</em> name
 * (class, method and parameter types mangled into the symbol), so comparing the
 * {@code Java_dev_edgemodule_Native_*} symbols of the packed library with the long names of
 * {@code Native}'s {@code native} methods (from reflection) checks names, arity and parameter
 * types; a stale or missing export fails here instead of with an UnsatisfiedLinkError at run
 * time. (JNI names do not carry the return type.)
 */
class NativeExportsTest {
    private static final String PREFIX = "Java_dev_edgemodule_Native_";

    @Test
    void everyNativeDeclarationHasItsExportAndEveryExportItsDeclaration() throws IOException {
        Set<String> declared = new TreeSet<>();
        for (Method m : Native.class.getDeclaredMethods()) {
            if (Modifier.isNative(m.getModifiers())) {
                declared.add(longName(m));
            }
        }
        Set<String> exported = new TreeSet<>();
        for (String symbol : dynamicSymbols(library())) {
            if (symbol.startsWith(PREFIX)) {
                exported.add(symbol);
            }
        }
        assertFalse(declared.isEmpty());
        Set<String> missing = new TreeSet<>(declared);
        missing.removeAll(exported);
        Set<String> stale = new TreeSet<>(exported);
        stale.removeAll(declared);
        assertTrue(missing.isEmpty() && stale.isEmpty(),
                "declared in Native.java but not exported: " + missing + "\nexported but not declared (or with other "
                        + "parameter types, or under a short name): " + stale);
        assertEquals(declared, exported);
    }

    @Test
    void theManglingFollowsTheJniSpecification() throws NoSuchMethodException {
        assertEquals(PREFIX + "create__ILjava_lang_String_2_3Ljava_lang_String_2_3Ljava_lang_String_2",
                longName(Native.class.getDeclaredMethod("create", int.class, String.class, String[].class,
                        String[].class)));
        assertEquals(PREFIX + "version__", longName(Native.class.getDeclaredMethod("version")));
        assertEquals("a_1b_2c_3d_e", mangle("a_b;c[d/e"));
        assertEquals("_04e2d", mangle("\u4e2d"));
    }

    /** The JNI long name of a native method (JNI specification, "Resolving Native Method Names"). */
    static String longName(Method m) {
        StringBuilder args = new StringBuilder();
        for (Class<?> p : m.getParameterTypes()) {
            args.append(descriptor(p));
        }
        return "Java_" + mangle(m.getDeclaringClass().getName().replace('.', '/')) + "_" + mangle(m.getName())
                + "__" + mangle(args.toString());
    }

    static String descriptor(Class<?> c) {
        if (c.isArray()) {
            return "[" + descriptor(c.getComponentType());
        }
        if (c.isPrimitive()) {
            switch (c.getName()) {
                case "int": return "I";
                case "long": return "J";
                case "boolean": return "Z";
                case "byte": return "B";
                case "char": return "C";
                case "short": return "S";
                case "float": return "F";
                case "double": return "D";
                default: throw new IllegalArgumentException(c.getName());
            }
        }
        return "L" + c.getName().replace('.', '/') + ";";
    }

    static String mangle(String s) {
        StringBuilder out = new StringBuilder();
        for (char ch : s.toCharArray()) {
            switch (ch) {
                case '/': out.append('_'); break;
                case '_': out.append("_1"); break;
                case ';': out.append("_2"); break;
                case '[': out.append("_3"); break;
                default:
                    if (ch < 128 && Character.isLetterOrDigit(ch)) {
                        out.append(ch);
                    } else {
                        out.append(String.format("_0%04x", (int) ch));
                    }
            }
        }
        return out.toString();
    }

    /** The native library the jar packs (the file the tests load). */
    static byte[] library() throws IOException {
        try (InputStream in = NativeExportsTest.class.getResourceAsStream(
                "/native/" + NativeLoader.platform() + "/libedgemodule_jni.so")) {
            assertNotNull(in, "the library is packed as a resource");
            return in.readAllBytes();
        }
    }

    /** The names of the defined symbols in an ELF64 little-endian file's dynamic symbol table. */
    static Set<String> dynamicSymbols(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        assertTrue(elf.length > 64 && b.getInt(0) == 0x464c457f && elf[4] == 2 && elf[5] == 1,
                "an ELF64 little-endian file");
        long sectionTable = b.getLong(0x28);
        int entrySize = Short.toUnsignedInt(b.getShort(0x3a));
        int sections = Short.toUnsignedInt(b.getShort(0x3c));
        Set<String> names = new TreeSet<>();
        for (int i = 0; i < sections; i++) {
            int header = (int) (sectionTable + (long) i * entrySize);
            if (b.getInt(header + 4) != 11) { // SHT_DYNSYM
                continue;
            }
            int offset = (int) b.getLong(header + 0x18);
            int size = (int) b.getLong(header + 0x20);
            int symbolSize = (int) b.getLong(header + 0x38);
            int stringsHeader = (int) (sectionTable + (long) b.getInt(header + 0x28) * entrySize);
            int strings = (int) b.getLong(stringsHeader + 0x18);
            for (int s = offset; s + symbolSize <= offset + size; s += symbolSize) {
                int name = b.getInt(s);
                boolean defined = b.getShort(s + 6) != 0; // st_shndx != SHN_UNDEF
                if (name != 0 && defined) {
                    int end = strings + name;
                    while (elf[end] != 0) {
                        end++;
                    }
                    names.add(new String(elf, strings + name, end - strings - name, StandardCharsets.US_ASCII));
                }
            }
        }
        assertFalse(names.isEmpty(), "the library has a dynamic symbol table");
        return names;
    }
}
