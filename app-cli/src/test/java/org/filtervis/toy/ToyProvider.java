package org.filtervis.toy;

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
 * A backend written only against the SPI, packed into a jar at test time to prove that a new
 * backend is just a jar in the plugins folder. Its one layer, "colour", has 3 filters: the mean
 * of one colour channel.
 */
public final class ToyProvider implements BackendProvider {
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
        return new ModelBackend() {
            @Override
            public List<String> modelFormats() {
                return List.of("toy");
            }

            @Override
            public Model open(Path model) {
                requirePluginContext();
                return new ToyModel();
            }

            @Override
            public void close() {}
        };
    }

    /** Frameworks in a plugin find their services through the context class loader: the host must set it on every call. */
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
            return List.of(new LayerInfo("colour", "Mean", List.of(1L, 3L), 3, true));
        }

        @Override
        public GradientProvider gradients(String layer, int height, int width) {
            if (!layer.equals("colour") && !layer.equals("constant")) {
                throw FiltervisException.usage("unknown layer '" + layer + "'; the toy has: colour, constant");
            }
            // "constant": each filter's objective is 1 whatever the image, so its gradient is zero while it fires.
            boolean constant = layer.equals("constant");
            InputSpec spec = input().withSize(height, width);
            return new GradientProvider() {
                @Override
                public int channels() {
                    return 3;
                }

                @Override
                public InputSpec input() {
                    return spec;
                }

                @Override
                public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
                    requirePluginContext();
                    int per = spec.elements();
                    int pixels = height * width;
                    for (int n = 0; n < filters.length; n++) {
                        double sum = 0;
                        for (int i = 0; i < per; i++) {
                            boolean mine = i % 3 == filters[n];
                            sum += mine ? images[n * per + i] : 0;
                            gradients[n * per + i] = mine && !constant ? 1f / pixels : 0;
                        }
                        objectives[n] = constant ? 1f : (float) (sum / pixels);
                    }
                }

                @Override
                public void close() {}
            };
        }

        @Override
        public void close() {}
    }
}
