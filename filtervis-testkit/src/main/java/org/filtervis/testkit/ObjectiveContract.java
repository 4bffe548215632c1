package org.filtervis.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.filtervis.api.GradientProvider;
import org.filtervis.api.Model;
import org.filtervis.api.Objective;
import org.filtervis.core.objective.ObjectiveGradients;
import org.filtervis.graph.Attribute;
import org.filtervis.graph.GraphBuilder;
import org.filtervis.graph.OnnxModel;
import org.filtervis.graph.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Contract of the general differentiation path ({@link org.filtervis.api.Differentiator}): every
 * objective's input gradient against central finite differences, on a small network (input
 * [2, 3, 9, 9], conv, relu, conv "c2" [4, 9, 9], global pool, gemm "fc" [5]), two images with
 * different filters; and the channel objective equal to the backend's own fused gradient.
 * Inputs are distinct values kept 0.05 from 0, so no |x| or neighbour difference changes sign
 * within the finite-difference step; the bound is 1e-2 (float32 noise in the differences, below).
 */
public abstract class ObjectiveContract {
    protected abstract org.filtervis.api.ModelBackend backend();

    @TempDir
    Path dir;

    static OnnxModel network() {
        GraphBuilder b = new GraphBuilder("objectives", 17);
        String x = b.input("x", 2L, 3L, 9L, 9L);
        String c1 = b.node("Conv", "c1", List.of(x, OperatorContract.w(b, "c1.w", 6, 3, 3, 3), OperatorContract.w(b, "c1.b", 6)),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
        String r = b.node("Relu", "r1", List.of(c1));
        String c2 = b.node("Conv", "c2", List.of(r, OperatorContract.w(b, "c2.w", 4, 6, 3, 3), OperatorContract.w(b, "c2.b", 4)),
                Attribute.of("pads", new long[] {1, 1, 1, 1}));
        String g = b.node("Flatten", "flat", List.of(b.node("GlobalAveragePool", "gap", List.of(c2))));
        String fc = b.node("Gemm", "fc", List.of(g, OperatorContract.w(b, "fc.w", 5, 4), OperatorContract.w(b, "fc.b", 5)), Attribute.of("transB", 1L));
        return b.output(c2, fc);
    }

    static float[] input() {
        int n = 2 * 3 * 81;
        int[] order = new SplittableRandom(11).ints(0, Integer.MAX_VALUE).distinct().limit(n).toArray();
        Integer[] index = new Integer[n];
        for (int i = 0; i < n; i++) {
            index[i] = i;
        }
        java.util.Arrays.sort(index, (a, c) -> Integer.compare(order[a], order[c]));
        float[] x = new float[n];
        for (int rank = 0; rank < n; rank++) {
            double u = rank / (double) (n - 1) * 2 - 1;
            x[index[rank]] = (float) (Math.signum(u) * (0.05 + 0.95 * Math.abs(u)));
        }
        return x;
    }

    static Stream<Arguments> objectives() {
        float[] v = {0.5f, -1f, 2f, 0.25f};
        return Stream.of(
            Arguments.of("channel(c2, f)", new Objective.Channel("c2", null, 0)),
            Arguments.of("channel_interior(c2, f)", new Objective.Channel("c2", null, 2)),
            Arguments.of("neuron(c2, f)", new Objective.Neuron("c2", null, null, null)),
            Arguments.of("neuron(c2, 1, 3, 6)", new Objective.Neuron("c2", 1, 3, 6)),
            Arguments.of("deepdream(c2)", new Objective.DeepDream("c2")),
            Arguments.of("logit(fc, f)", new Objective.Logit("fc", null)),
            Arguments.of("direction(c2, v)", new Objective.Direction("c2", v)),
            Arguments.of("direction_cosine(c2, v, 0)", new Objective.DirectionCosine("c2", v, 0)),
            Arguments.of("direction_cosine(c2, v, 1)", new Objective.DirectionCosine("c2", v, 1)),
            Arguments.of("direction_cosine(c2, v, 2.5)", new Objective.DirectionCosine("c2", v, 2.5)),
            Arguments.of("l1()", new Objective.L1()),
            Arguments.of("l2()", new Objective.L2()),
            Arguments.of("tv()", new Objective.TotalVariation()),
            Arguments.of("channel(c2, f) - 0.5 * deepdream(c2) + 0.01 * tv() + 2 * logit(fc, 3)", new Objective.Sum(List.of(
                    new Objective.Weighted(1, new Objective.Channel("c2", null, 0)), new Objective.Weighted(-0.5, new Objective.DeepDream("c2")),
                    new Objective.Weighted(0.01, new Objective.TotalVariation()), new Objective.Weighted(2, new Objective.Logit("fc", 3))))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("objectives")
    public void gradientMatchesFiniteDifferences(String name, Objective objective) {
        try (Model model = BackendTesting.open(backend(), network(), dir);
                GradientProvider p = ObjectiveGradients.open(model, objective, 9, 9)) {
            int[] filters = {0, Math.min(3, p.channels() - 1)};
            float[] x = input();
            float[] grad = new float[x.length];
            float[] values = new float[2];
            p.compute(x, filters, values, grad);
            float[] fd = BackendTesting.finiteDifferences(p, x, filters, 1e-3f);
            double err = BackendTesting.relativeError(grad, fd);
            assertTrue(BackendTesting.sum(OperatorContract.abs(fd)) > 0, name + ": the objective depends on the input");
            // Float32 objectives (l2 is ~13 here, logits sum 81 pixels) put ~3e-3 of noise into differences with
            // eps 1e-3; a wrong rule (a seed's scale, a missing term) is off by tens of percent.
            assertTrue(err < 1e-2, name + ": relative L2 error against finite differences " + err);
            float[] again = new float[x.length];
            p.compute(x, filters, new float[2], again);
            assertArrayEquals(grad, again, name + ": the same gradient twice");
        }
    }

    static Stream<Arguments> batchObjectives() {
        return Stream.of(
            Arguments.of("channel(c2, f) - 20 * diversity(c2)", batchSum(new Objective.Diversity("c2"), -20)),
            Arguments.of("channel(c2, f) + 3 * alignment(c2)", batchSum(new Objective.Alignment("c2", 2), 3)),
            Arguments.of("channel(c2, f) + 2 * channel_interpolate(c2, 0, 3)", batchSum(new Objective.ChannelInterpolate("c2", 0, "c2", 3), 2)),
            Arguments.of("channel(c2, f) + 2 * channel_interpolate(c2, 1, fc, 4)", batchSum(new Objective.ChannelInterpolate("c2", 1, "fc", 4), 2)));
    }

    private static Objective batchSum(Objective batchTerm, double weight) {
        return new Objective.Sum(List.of(new Objective.Weighted(1, new Objective.Channel("c2", null, 0)), new Objective.Weighted(weight, batchTerm)));
    }

    /** Batch terms with an image term: finite differences of the whole objective, the batch's and the images' terms. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("batchObjectives")
    public void batchTermsMatchFiniteDifferences(String name, Objective objective) {
        try (Model model = BackendTesting.open(backend(), network(), dir);
                ObjectiveGradients p = ObjectiveGradients.open(model, objective, 9, 9)) {
            int[] filters = {0, 3};
            float[] x = input();
            float[] grad = new float[x.length];
            p.compute(x, filters, new float[2], grad);
            double batchValue = p.lastBatchObjective();
            assertTrue(p.hasBatchTerms() && batchValue != 0 && Double.isFinite(batchValue), name + ": the batch term's value " + batchValue);
            if (name.contains("diversity")) {
                assertTrue(batchValue < 0 && batchValue > -20 * 2, "-20 x the diversity of two images (in [0, 2]): " + batchValue);
            }
            float[] fd = new float[x.length];
            float[] probe = x.clone();
            float eps = 1e-3f;
            for (int i = 0; i < x.length; i++) {
                double[] at = new double[2];
                for (int side = 0; side < 2; side++) {
                    probe[i] = x[i] + (side == 0 ? eps : -eps);
                    float[] values = new float[2];
                    p.compute(probe, filters, values, new float[x.length]);
                    at[side] = BackendTesting.sum(values) + p.lastBatchObjective();
                }
                probe[i] = x[i];
                fd[i] = (float) ((at[0] - at[1]) / (2 * eps));
            }
            double err = BackendTesting.relativeError(grad, fd);
            assertTrue(err < 1e-2, name + ": relative L2 error against finite differences " + err);
            try (GradientProvider channelOnly = ObjectiveGradients.open(model, new Objective.Channel("c2", null, 0), 9, 9)) {
                float[] g = new float[x.length];
                channelOnly.compute(x, filters, new float[2], g);
                double share = BackendTesting.relativeError(g, grad);
                assertTrue(share > 0.1, name + ": the batch term moves the gradient by " + share + " only; the test would not see it wrong");
            }
        }
    }

    /**
     * The gradient of a class score at an intermediate layer (what Grad-CAM needs): fc = W gap(c2) + b,
     * so d fc[k] / d c2[c, y, x] = W[k, c] / 81 exactly; and the chain rule: seeding c2 with it gives
     * the input gradient that seeding fc gives.
     */
    @Test
    public void gradientAtAnIntermediateLayerIsTheChainRulesFactor() {
        GraphBuilder b = new GraphBuilder("weights", 17);
        float[] w = b.output(OperatorContract.w(b, "fc.w", 5, 4)).graph.initializers.get("fc.w").floats();
        try (Model model = BackendTesting.open(backend(), network(), dir);
                org.filtervis.api.Differentiator d = model.differentiator(List.of("c2", "fc"), 9, 9).orElseThrow()) {
            float[] x = input();
            int[] k = {1, 3};
            float[] logitSeed = new float[2 * 5];
            logitSeed[k[0]] = 1;
            logitSeed[5 + k[1]] = 1;
            float[] atC2 = d.tensorGradients(x, 2, java.util.Map.of("fc", logitSeed), List.of("c2")).get("c2");
            assertEquals(2 * 4 * 81, atC2.length);
            for (int i = 0; i < 2; i++) {
                for (int c = 0; c < 4; c++) {
                    for (int p = 0; p < 81; p++) {
                        assertEquals(w[k[i] * 4 + c] / 81, atC2[(i * 4 + c) * 81 + p], 1e-6, "image " + i + " channel " + c + " position " + p);
                    }
                }
            }
            float[] viaLogits = new float[x.length];
            float[] viaC2 = new float[x.length];
            d.inputGradient(x, 2, java.util.Map.of("fc", logitSeed), viaLogits);
            d.inputGradient(x, 2, java.util.Map.of("c2", atC2), viaC2);
            assertTrue(BackendTesting.sum(OperatorContract.abs(viaLogits)) > 0);
            assertTrue(BackendTesting.relativeError(viaC2, viaLogits) < 1e-5, "chain rule: " + BackendTesting.relativeError(viaC2, viaLogits));
        }
    }

    /**
     * One forward pass per step: {@code activationsAndGradient} with seeds computed from the
     * activations it hands over (DeepDream's: the activation itself) gives the activations and the
     * input gradient that {@code activations} then {@code inputGradient} give, the same bytes every
     * time it runs.
     */
    @Test
    public void onePassEqualsActivationsThenGradient() {
        try (Model model = BackendTesting.open(backend(), network(), dir);
                org.filtervis.api.Differentiator d = model.differentiator(List.of("c2", "fc"), 9, 9).orElseThrow()) {
            float[] x = input();
            java.util.Map<String, float[]> expected = d.activations(x, 2);
            float[] twoPasses = new float[x.length];
            d.inputGradient(x, 2, java.util.Map.of("c2", expected.get("c2")), twoPasses);
            assertTrue(BackendTesting.sum(OperatorContract.abs(twoPasses)) > 0, "the gradient is not zero");
            int[] calls = {0};
            sameAsTwoCalls("seeds from the activations", 5, expected, twoPasses, gradient -> d.activationsAndGradient(x, 2, a -> {
                calls[0]++;
                return java.util.Map.of("c2", a.get("c2").clone());
            }, gradient));
            assertEquals(5, calls[0], "the seeds are asked for once a call");
            // Seeds given up front (a linear objective): one call, the same activations and gradient.
            float[] seed = new float[2 * 5];
            seed[1] = 1;
            seed[5 + 3] = -2;
            java.util.Map<String, float[]> fixed = java.util.Map.of("fc", seed);
            float[] expectedGradient = new float[x.length];
            d.inputGradient(x, 2, fixed, expectedGradient);
            assertTrue(BackendTesting.sum(OperatorContract.abs(expectedGradient)) > 0, "the gradient is not zero");
            sameAsTwoCalls("seeds up front", 3, expected, expectedGradient, gradient -> d.activationsAndGradient(x, 2, fixed, gradient));
        }
    }

    /**
     * {@code runs} calls of {@code call} (which fills the gradient it is given and returns the
     * activations) against the two-call path's activations and gradient, the same bytes every run.
     */
    private static void sameAsTwoCalls(String what, int runs, java.util.Map<String, float[]> activations, float[] gradient,
            java.util.function.Function<float[], java.util.Map<String, float[]>> call) {
        float[] first = null;
        for (int run = 0; run < runs; run++) {
            float[] g = new float[gradient.length];
            java.util.Map<String, float[]> a = call.apply(g);
            assertArrayEquals(activations.get("c2"), a.get("c2"), 1e-6f, what + ": activations c2");
            assertArrayEquals(activations.get("fc"), a.get("fc"), 1e-5f, what + ": activations fc");
            assertTrue(BackendTesting.relativeError(g, gradient) < 1e-6, what + ": gradient " + BackendTesting.relativeError(g, gradient));
            if (first == null) {
                first = g;
            } else {
                assertArrayEquals(first, g, what + ": run " + run + " repeats the bytes");
            }
        }
    }

    /**
     * The fused path and the general one agree for both borders, and border 0 is the mean over
     * every position of the activations the backend computes (not the interior's: c2 is 9 x 9, so
     * the two differ).
     */
    @ParameterizedTest(name = "border {0}")
    @org.junit.jupiter.params.provider.ValueSource(ints = {0, 2})
    public void channelObjectiveEqualsTheFusedPath(int border) {
        try (Model model = BackendTesting.open(backend(), network(), dir);
                GradientProvider general = ObjectiveGradients.open(model, new Objective.Channel("c2", null, border), 9, 9);
                GradientProvider fused = border == 2 ? model.gradients("c2", 9, 9) : model.gradients("c2", 9, 9, border);
                org.filtervis.api.Differentiator d = model.differentiator(List.of("c2"), 9, 9).orElseThrow()) {
            int[] filters = {2, 1};
            float[] x = input();
            float[] g1 = new float[x.length];
            float[] g2 = new float[x.length];
            float[] o1 = new float[2];
            float[] o2 = new float[2];
            general.compute(x, filters, o1, g1);
            fused.compute(x, filters, o2, g2);
            assertArrayEquals(o2, o1, 1e-5f, "objectives");
            assertTrue(BackendTesting.relativeError(g1, g2) < 1e-5, "gradients: " + BackendTesting.relativeError(g1, g2));
            assertTrue(general.channels() == 4 && fused.channels() == 4);
            float[] a = d.activations(x, 2).get("c2");
            for (int i = 0; i < 2; i++) {
                double all = 0;
                double inner = 0;
                for (int y = 0; y < 9; y++) {
                    for (int xx = 0; xx < 9; xx++) {
                        double v = a[(i * 4 + filters[i]) * 81 + y * 9 + xx];
                        all += v;
                        inner += y >= 2 && y < 7 && xx >= 2 && xx < 7 ? v : 0;
                    }
                }
                double want = border == 0 ? all / 81 : inner / 25;
                double other = border == 0 ? inner / 25 : all / 81;
                assertEquals(want, o2[i], 1e-5 * (1 + Math.abs(want)), "image " + i + ": the fused objective is the mean " + (border == 0 ? "over every position" : "inside the border"));
                assertTrue(Math.abs(other - want) > 1e-3, "image " + i + ": the two borders give " + want + " and " + other + "; the test would not tell them apart");
            }
        }
    }
}
