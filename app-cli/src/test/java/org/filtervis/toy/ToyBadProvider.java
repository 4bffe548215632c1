package org.filtervis.toy;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendOptions;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;
import org.filtervis.api.ModelBackend;

/**
 * A planted defect for the comparison: the toy backend, except that its gradient also pulls on
 * the next colour channel, as a backend with a wrong gradient rule would.
 */
public final class ToyBadProvider extends ToyVariant {

    @Override
    public String name() {
        return "toybad";
    }

    @Override
    public String version() {
        return "toy 1.0 with a wrong gradient";
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        ModelBackend good = toy.create(options);
        return new ModelBackend() {
            @Override
            public List<String> modelFormats() {
                return good.modelFormats();
            }

            @Override
            public Model open(Path file) {
                Model m = good.open(file);
                return new Model() {
                    @Override
                    public InputSpec input() {
                        return m.input();
                    }

                    @Override
                    public List<LayerInfo> layers(int h, int w) {
                        return m.layers(h, w);
                    }

                    @Override
                    public GradientProvider gradients(String layer, int h, int w) {
                        GradientProvider right = m.gradients(layer, h, w);
                        return new GradientProvider() {
                            @Override
                            public int channels() {
                                return right.channels();
                            }

                            @Override
                            public InputSpec input() {
                                return right.input();
                            }

                            @Override
                            public void compute(float[] images, int[] filters, float[] objectives, float[] gradients) {
                                right.compute(images, filters, objectives, gradients);
                                for (int i = 0; i + 1 < gradients.length; i += 3) {
                                    gradients[i + 1] += 0.5f * gradients[i];
                                }
                            }

                            @Override
                            public void close() {}
                        };
                    }

                    @Override
                    public void close() {}
                };
            }

            @Override
            public void close() {}
        };
    }
}
