package org.filtervis.examples.toy;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.BackendProvider;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;

/**
 * The smallest backend, written only against the SPI: build this module, put its jar in
 * {@code plugins/toy/}, and {@code filtervis visualize --backend toy --model any.toy --layer colour}
 * runs it. A toy model (any file ending in {@code .toy}) takes NHWC images of 3 channels and has
 * three layers of 3 filters each, filter c reading colour channel c:
 * <ul>
 * <li>{@code colour}: the mean of channel c over pixels (gradient 1 / pixels there);
 * <li>{@code square}: the mean of the square of channel c (gradient 2 x / pixels);
 * <li>{@code constant}: 1 whatever the image, so its gradient is zero while it fires (the host
 *     must flag that, never pass it off as a visualization).
 * </ul>
 * It passes the testkit's {@code BackendContract}, the SPI contract that needs no ONNX.
 */
public final class ToyProvider implements BackendProvider {
    static final List<String> LAYERS = List.of("colour", "square", "constant");

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public String name() {
        return "toy";
    }

    @Override
    public String version() {
        return "toy 1.0";
    }

    @Override
    public List<String> modelFormats() {
        return List.of("toy");
    }

    @Override
    public List<String> devices() {
        return List.of("cpu");
    }

    @Override
    public boolean canOpen(Path model) {
        return model.toString().endsWith(".toy");
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        if (!options.device().equals("cpu")) {
            throw FiltervisException.usage("unknown device '" + options.device() + "' for backend toy; use cpu");
        }
        return new ModelBackend() {
            @Override
            public List<String> modelFormats() {
                return List.of("toy");
            }

            @Override
            public Model open(Path model) {
                requirePluginContext();
                if (!canOpen(model)) {
                    throw FiltervisException.usage(model + " is not a toy model; the toy backend opens files ending in .toy");
                }
                return new ToyModel();
            }

            @Override
            public void close() {}
        };
    }

    /**
     * Frameworks in a plugin find their services through the thread's context class loader, so the
     * host sets the plugin's loader there on every call; the toy checks that it did.
     */
    static void requirePluginContext() {
        if (Thread.currentThread().getContextClassLoader() != ToyProvider.class.getClassLoader()) {
            throw FiltervisException.failure("the toy was called without its class loader as the thread's context class loader");
        }
    }

    static final class ToyModel implements Model {
        @Override
        public InputSpec input() {
            return new InputSpec("image", InputSpec.Layout.NHWC, 3, -1, -1);
        }

        @Override
        public List<LayerInfo> layers(int height, int width) {
            return LAYERS.stream().map(l -> new LayerInfo(l, "Mean", List.of(1L, 3L), 3, true)).toList();
        }

        @Override
        public GradientProvider gradients(String layer, int height, int width) {
            if (!LAYERS.contains(layer)) {
                throw FiltervisException.usage("unknown layer '" + layer + "'; the toy has: " + String.join(", ", LAYERS));
            }
            InputSpec spec = input().withSize(height, width);
            return new ToyGradients(layer, spec);
        }

        @Override
        public void close() {}
    }

    /** One layer's objectives and input gradients; filter c reads colour channel c (NHWC: every third value). */
    record ToyGradients(String layer, InputSpec input) implements GradientProvider {
        @Override
        public int channels() {
            return 3;
        }

        @Override
        public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
            requirePluginContext();
            int per = input.elements();
            int pixels = input.height() * input.width();
            for (int n = 0; n < filters.length; n++) {
                if (filters[n] < 0 || filters[n] >= 3) {
                    throw FiltervisException.usage("filter " + filters[n] + " is out of range: the toy's layers have filters 0 to 2");
                }
                double sum = 0;
                for (int i = 0; i < per; i++) {
                    float x = images[n * per + i];
                    boolean mine = i % 3 == filters[n];
                    float g = 0;
                    if (mine) {
                        switch (layer) {
                            case "colour" -> {
                                sum += x;
                                g = 1f / pixels;
                            }
                            case "square" -> {
                                sum += (double) x * x;
                                g = 2 * x / pixels;
                            }
                            default -> { }
                        }
                    }
                    gradients[n * per + i] = g;
                }
                objectives[n] = layer.equals("constant") ? 1f : (float) (sum / pixels);
            }
        }

        @Override
        public void close() {}
    }
}
