package org.filtervis.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.InputSpec;
import org.filtervis.api.Model;
import org.filtervis.api.Objective;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.objective.ObjectiveGradients;
import org.filtervis.core.objective.ObjectiveParser;
import org.filtervis.core.io.Npy;
import org.filtervis.core.ascent.Recipe;
import org.filtervis.core.Session;
import org.filtervis.models.ModelFiles;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "gradient", description = "One forward and backward pass on a batch from a .npy file: prints objectives, writes d(sum)/d(input).")
final class GradientCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Mixin
    Filtervis.ModelOptions options;

    @Option(names = "--layer", paramLabel = "NAME", description = Help.LAYER)
    String layer;

    @Option(names = "--objective", paramLabel = "EXPR", description = Help.OBJECTIVE)
    String objective;

    @Option(names = "--filters", required = true, paramLabel = "LIST", description = Help.FILTERS)
    String filters;

    @Option(names = "--input", required = true, paramLabel = "X.npy", description = "float32 batch in the model's input layout.")
    Path input;

    @Option(names = "--output", required = true, paramLabel = "PATH", description = Help.OUTPUT)
    Path output;

    @Override
    public Integer call() {
        if ((layer == null) == (objective == null)) {
            throw FiltervisException.usage("give --layer or --objective (one of them)");
        }
        Objective parsed = objective != null ? ObjectiveParser.parse(objective) : null;
        org.filtervis.core.FilterList.Spec listed = org.filtervis.core.FilterList.parse(filters);
        Npy.Array x = Npy.read(input);
        float[] values = x.data();
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw FiltervisException.usage(input + " holds " + values[i] + " at flat index " + i + "; gradients need finite inputs");
            }
        }
        try (Session v = top.session(options.backend, ModelFiles.resolve(options.model), options.backendOptions(),
                Recipe.keras(), 1)) {
            Model model = v.model();
            InputSpec spec = model.input();
            long[] s = x.shape();
            if (s.length != 4 || s[0] != listed.entries()) {
                throw FiltervisException.usage(input + " has shape " + Arrays.toString(s) + "; it needs 4 axes and one image per filter entry ("
                        + listed.entries() + " given in --filters " + filters + ")");
            }
            boolean nchw = spec.layout() == InputSpec.Layout.NCHW;
            long channels = nchw ? s[1] : s[3];
            long height = nchw ? s[2] : s[1];
            long width = nchw ? s[3] : s[2];
            if (channels != spec.channels()) {
                throw FiltervisException.usage(input + " has shape " + Arrays.toString(s) + " but the model takes " + spec.channels()
                        + " channels in " + spec.layout() + " layout");
            }
            try (GradientProvider gradients = parsed != null ? v.gradients(parsed, (int) height, (int) width)
                    : v.gradients(layer, (int) height, (int) width)) {
                List<Integer> chosen = org.filtervis.core.FilterList.each(listed, gradients.channels(), layer != null ? layer : objective);
                int[] f = chosen.stream().mapToInt(Integer::intValue).toArray();
                float[] objectives = new float[f.length];
                float[] grad = new float[x.data().length];
                gradients.compute(x.data(), f, objectives, grad);
                requireFinite(objectives, "objective");
                requireFinite(grad, "gradient");
                try {
                    Npy.write(output, s, grad);
                } catch (IOException e) {
                    throw FiltervisException.failure("cannot write " + output + " (" + IoMessages.describe(e)
                            + "); choose a writable path with --output");
                }
                for (int i = 0; i < f.length; i++) {
                    top.out.println("filter " + f[i] + " objective " + objectives[i]);
                }
                if (gradients instanceof ObjectiveGradients og && og.hasBatchTerms()) {
                    top.out.println("batch objective " + (float) og.lastBatchObjective());
                }
            }
        }
        return 0;
    }

    /** A non-finite objective or gradient is a failure, never a file of NaNs with exit 0. */
    private static void requireFinite(float[] values, String what) {
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw FiltervisException.failure("the " + what + " is " + values[i] + " at flat index " + i
                        + " (float32 overflowed or the model made NaN); nothing written; check the objective's weights and the input");
            }
        }
    }
}
