package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.AtomicFiles;
import org.filtervis.graph.DemoNetwork;
import org.filtervis.graph.OnnxFormat;

/** The embedded demo network as an ONNX file, generated once into the temporary folder. */
final class DemoModelFile {
    private DemoModelFile() {}

    static Path path() {
        byte[] bytes = OnnxFormat.write(DemoNetwork.build());
        String tag;
        try {
            tag = HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes), 0, 6);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        Path file = Path.of(System.getProperty("java.io.tmpdir"), "filtervis-demo-" + tag + ".onnx");
        try {
            if (!Files.isRegularFile(file) || Files.size(file) != bytes.length) {
                AtomicFiles.write(file, out -> out.write(bytes));
            }
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write the demo model to " + file + ": " + e.getMessage());
        }
        return file;
    }
}
