package dev.edgemodule;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Loads the native library {@code edgemodule_jni}: from {@code -Dedgemodule.library.path}
 * when set, else from {@code java.library.path} ({@code System.loadLibrary}, for local
 * development), else from this jar ({@code native/<os>-<arch>/}), extracted to a temporary
 * file that is deleted again once loaded (where the OS allows).
 */
final class NativeLoader {
    static final String LIBRARY = "edgemodule_jni";

    private NativeLoader() {}

    static void load() {
        String explicit = System.getProperty("edgemodule.library.path");
        if (explicit != null && !explicit.isEmpty()) {
            System.load(explicit);
            return;
        }
        UnsatisfiedLinkError fromPath;
        try {
            System.loadLibrary(LIBRARY);
            return;
        } catch (UnsatisfiedLinkError e) {
            fromPath = e;
        }
        String file = System.mapLibraryName(LIBRARY);
        String resource = "/native/" + platform() + "/" + file;
        try (InputStream in = NativeLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                UnsatisfiedLinkError e = new UnsatisfiedLinkError(
                        "edgemodule has no native library for " + platform() + " (no " + resource
                                + " in the jar, and none on java.library.path)");
                e.addSuppressed(fromPath);
                throw e;
            }
            Path dir = Files.createTempDirectory("edgemodule-");
            Path target = dir.resolve(file);
            Files.copy(in, target);
            System.load(target.toAbsolutePath().toString());
            try {
                Files.delete(target);
                Files.delete(dir);
            } catch (IOException stillMapped) {
                target.toFile().deleteOnExit();
                dir.toFile().deleteOnExit();
            }
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                    "cannot extract the edgemodule native library: " + e);
            error.initCause(e);
            throw error;
        }
    }

    /** {@code linux-x86_64}, {@code linux-aarch64}, {@code linux-arm}, {@code macos-aarch64}, ... */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        String osName;
        if (os.startsWith("linux")) {
            osName = "linux";
        } else if (os.startsWith("mac") || os.startsWith("darwin")) {
            osName = "macos";
        } else if (os.startsWith("windows")) {
            osName = "windows";
        } else {
            osName = os.replaceAll("[^a-z0-9]", "");
        }
        String archName;
        switch (arch) {
            case "amd64":
            case "x86_64":
            case "x64":
                archName = "x86_64";
                break;
            case "aarch64":
            case "arm64":
                archName = "aarch64";
                break;
            case "arm": // a 32-bit JVM on armv7 (hard-float)
            case "armv7l":
            case "armhf":
                archName = "arm";
                break;
            default:
                archName = arch.replaceAll("[^a-z0-9_]", "");
        }
        return osName + "-" + archName;
    }
}
