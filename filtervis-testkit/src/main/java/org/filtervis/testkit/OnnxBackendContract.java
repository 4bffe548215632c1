package org.filtervis.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxFormat;

/**
 * {@link BackendContract} for backends that open ONNX files: a smooth network (conv, sigmoid,
 * conv "smooth" of 4 channels) with no kinks for finite differences to straddle.
 */
public abstract class OnnxBackendContract extends BackendContract {
    @Override
    protected Path model(Path dir) throws IOException {
        GraphBuilder b = new GraphBuilder("smooth", 17);
        String x = b.input("x", "batch", 3L, "height", "width");
        String c1 = b.node("Conv", "c1", List.of(x, OperatorContract.w(b, "c1.w", 5, 3, 3, 3), OperatorContract.w(b, "c1.b", 5)),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
        String s = b.node("Sigmoid", "s1", List.of(c1));
        String c2 = b.node("Conv", "smooth", List.of(s, OperatorContract.w(b, "c2.w", 4, 5, 3, 3), OperatorContract.w(b, "c2.b", 4)),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
        return Files.write(dir.resolve("smooth.onnx"), OnnxFormat.write(b.output(c2)));
    }

    @Override
    protected String layer() {
        return "smooth";
    }
}
