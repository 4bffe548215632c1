package org.filtervis.djl;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.LayerInfo;
import org.filtervis.api.Model;

/**
 * A TorchScript file (traced or scripted). Its inner layers are not reachable: the layers are
 * the module's outputs, named by position ({@code --layer 0} is the first). Export a module that
 * returns the activation you want, e.g. the network cut after a block. Input: NCHW, 3 channels,
 * any size.
 */
final class TorchScriptModel implements Model {
    private final DjlBackend backend;
    private final ai.djl.Model model;
    private final Block block;
    private final InputSpec input = new InputSpec("input", InputSpec.Layout.NCHW, 3, -1, -1);

    TorchScriptModel(DjlBackend backend, Path file) {
        this.backend = backend;
        this.model = ai.djl.Model.newInstance(file.getFileName().toString(), "PyTorch");
        try {
            // trainParam keeps tensors usable by autograd ("inference tensors" otherwise).
            model.load(file, null, Map.of("trainParam", "true"));
        } catch (IOException | MalformedModelException | RuntimeException e) {
            model.close();
            throw FiltervisException.failure(file + " is not a TorchScript model libtorch can load (" + DjlOnnxModel.firstLine(e.getMessage())
                    + "); save it with torch.jit.trace(model, example).save(path)");
        }
        this.block = model.getBlock();
        // Only the image's gradient is wanted: no weight gradients.
        block.getParameters().values().forEach(p -> {
            if (p.getArray() != null) {
                p.getArray().setRequiresGradient(false);
            }
        });
    }

    @Override
    public InputSpec input() {
        return input;
    }

    private NDList forward(NDArray x) {
        return block.forward(new ParameterStore(x.getManager(), false), new NDList(x), true);
    }

    @Override
    public List<LayerInfo> layers(int height, int width) {
        try (NDManager scope = backend.root().newSubManager()) {
            NDList outs = forward(scope.zeros(new Shape(1, 3, height, width)));
            List<LayerInfo> layers = new ArrayList<>();
            for (int i = 0; i < outs.size(); i++) {
                long[] s = outs.get(i).getShape().getShape();
                if (s.length >= 2) {
                    layers.add(new LayerInfo(Integer.toString(i), "output " + i, java.util.Arrays.stream(s).boxed().toList(), (int) s[1], true));
                }
            }
            return layers;
        }
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width) {
        return gradients(layer, height, width, KERAS_BORDER);
    }

    @Override
    public GradientProvider gradients(String layer, int height, int width, int border) {
        org.filtervis.graph.kit.BackendGradients.requireBorder(border);
        int index;
        try {
            index = Integer.parseInt(layer);
        } catch (NumberFormatException e) {
            index = -1;
        }
        List<LayerInfo> layers = layers(height, width);
        int chosen = index;
        LayerInfo info = layers.stream().filter(l -> l.name().equals(Integer.toString(chosen))).findFirst().orElseThrow(() ->
                FiltervisException.usage("unknown layer '" + layer + "': a TorchScript model's layers are its outputs, here "
                        + layers.stream().map(LayerInfo::name).toList() + " (--layer 0 is the first)"));
        return new DjlGradients(backend, input.withSize(height, width), info.channels(), border, (x, scope) -> forward(x).get(chosen));
    }

    @Override
    public void close() {
        model.close();
    }
}
