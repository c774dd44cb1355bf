package dev.edgemodule;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The shared test vectors of tests/vectors (the core is checked against the same rows):
 * {@code -Dedgemodule.vectors}, or the repository's directory.
 */
final class Vectors {
    private Vectors() {}

    static Path dir() {
        String dir = System.getProperty("edgemodule.vectors");
        if (dir == null || dir.isEmpty()) {
            return Paths.get("..", "tests", "vectors").toAbsolutePath().normalize();
        }
        return Paths.get(dir).toAbsolutePath().normalize();
    }

    /** The cases of {@code file} whose {@code op} is {@code op}. */
    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> cases(String file, String op) {
        try {
            String text = new String(Files.readAllBytes(dir().resolve(file)), StandardCharsets.UTF_8);
            List<Map<String, Object>> out = new ArrayList<>();
            for (Object c : (List<Object>) Json.parseObject(text).get("cases")) {
                Map<String, Object> row = (Map<String, Object>) c;
                if (op.equals(row.get("op"))) {
                    out.add(row);
                }
            }
            if (out.isEmpty()) {
                throw new IllegalStateException(file + " has no case with op " + op);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
