package org.filtervis.core.objective;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Constructor;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.filtervis.api.InputSpec;
import org.filtervis.api.Objective;
import org.junit.jupiter.api.Test;

/**
 * Every objective type the API declares (found through the sealed hierarchy, so a type added
 * later is found too) is evaluated: it adds something nonzero to a value, a seed or the image
 * gradient. A type without an evaluation throws at its first call instead of adding 0.
 */
class ObjectivesExhaustiveTest {
    static final InputSpec SPEC = new InputSpec("x", InputSpec.Layout.NCHW, 3, 6, 6);

    static void leaves(Class<?> c, List<Class<?>> out) {
        if (c.isSealed()) {
            for (Class<?> sub : c.getPermittedSubclasses()) {
                leaves(sub, out);
            }
        } else {
            out.add(c);
        }
    }

    /** An instance with arguments that make every term nonzero on the batch below. */
    static Objective instance(Class<?> type) throws ReflectiveOperationException {
        RecordComponent[] parts = type.getRecordComponents();
        Class<?>[] types = new Class<?>[parts.length];
        Object[] args = new Object[parts.length];
        for (int i = 0; i < parts.length; i++) {
            Class<?> t = parts[i].getType();
            types[i] = t;
            String name = parts[i].getName();
            args[i] = t == String.class ? (name.equals("layer2") ? "M" : "L")
                    : t == Integer.class ? (name.equals("y") || name.equals("x") ? 1 : Integer.valueOf(1))
                    : t == int.class ? 1
                    : t == double.class ? 2.0
                    : t == float[].class ? new float[] {0.5f, -1f}
                    : t == List.class ? List.of(new Objective.Weighted(1, new Objective.L2())) : null;
        }
        Constructor<?> c = type.getDeclaredConstructor(types);
        return (Objective) c.newInstance(args);
    }

    @Test
    void everyObjectiveTypeIsEvaluated() throws ReflectiveOperationException {
        List<Class<?>> types = new ArrayList<>();
        leaves(Objective.class, types);
        assertTrue(types.size() >= 13, "the API's objectives: " + types);
        for (Class<?> type : types) {
            Objective o = instance(type);
            int n = 2;
            float[] images = new float[n * SPEC.elements()];
            for (int i = 0; i < images.length; i++) {
                images[i] = (float) Math.sin(i * 0.7) * 0.4f;
            }
            Map<String, float[]> activations = new HashMap<>();
            Map<String, long[]> shapes = new HashMap<>();
            Map<String, float[]> seeds = new HashMap<>();
            for (String layer : List.of("L", "M")) {
                float[] a = new float[n * 2 * 3 * 3];
                for (int i = 0; i < a.length; i++) {
                    a[i] = 0.3f + (float) Math.abs(Math.cos(i * 1.3 + layer.length()));
                }
                activations.put(layer, a);
                shapes.put(layer, new long[] {2, 3, 3});
                seeds.put(layer, new float[a.length]);
            }
            // logit(L, k) needs a tensor without spatial axes.
            if (o instanceof Objective.Logit) {
                activations.put("L", new float[] {0.2f, 0.7f, 0.1f, 0.9f});
                shapes.put("L", new long[] {2});
                seeds.put("L", new float[4]);
            }
            Objectives.Batch b = new Objectives.Batch(n, new int[] {0, 1}, images, SPEC, activations, shapes);
            float[] values = new float[n];
            double[] batch = new double[1];
            float[] imageGradient = new float[images.length];
            Objectives.evaluate(o, 1, b, values, batch, seeds, imageGradient);
            boolean moved = batch[0] != 0 || nonzero(values) || nonzero(imageGradient) || seeds.values().stream().anyMatch(ObjectivesExhaustiveTest::nonzero);
            assertTrue(moved, type.getSimpleName() + " added nothing: not evaluated");
        }
    }

    static boolean nonzero(float[] v) {
        for (float x : v) {
            if (x != 0) {
                return true;
            }
        }
        return false;
    }
}
