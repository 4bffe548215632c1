package org.filtervis.models;

import io.jhdf.HdfFile;
import io.jhdf.api.Attribute;
import io.jhdf.api.Dataset;
import io.jhdf.api.Group;
import io.jhdf.api.Node;
import java.lang.reflect.Array;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.graph.keras.JsLiteral;
import org.filtervis.graph.keras.TfjsModel;

/**
 * A Keras 2 model saved with {@code model.save("m.h5")}: the root attribute {@code model_config}
 * (the same topology JSON as TF.js's) and the weights under {@code model_weights/<layer>}, listed by
 * each layer group's {@code weight_names} attribute. Read with jhdf (pure Java, no HDF5 natives).
 */
public final class KerasH5 {
    private KerasH5() {}

    public static boolean isH5(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.endsWith(".h5") || n.endsWith(".hdf5") || n.endsWith(".keras");
    }

    @SuppressWarnings("unchecked")
    public static TfjsModel read(Path file) {
        if (file.getFileName().toString().toLowerCase(java.util.Locale.ROOT).endsWith(".keras")) {
            throw FiltervisException.failure(file + " is a Keras 3 .keras archive; filtervis reads Keras 2 .h5 files (model.save(\"m.h5\")) and TF.js layers"
                    + " models");
        }
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw FiltervisException.usage("model file not found: " + file);
        }
        try (HdfFile h5 = new HdfFile(file)) {
            Attribute config = h5.getAttribute("model_config");
            if (config == null) {
                throw FiltervisException.failure(file + " has no model_config: it holds weights only (model.save_weights);"
                        + " save the whole model with model.save(\"m.h5\")");
            }
            Map<String, Object> modelConfig = (Map<String, Object>) JsLiteral.parse(text(config.getData()));
            Node weightsNode = h5.getChild("model_weights");
            Group weights = weightsNode instanceof Group g ? g : h5;
            Map<String, TfjsModel.Weight> out = new LinkedHashMap<>();
            for (Node layer : weights.getChildren().values()) {
                Attribute names = layer.getAttribute("weight_names");
                if (!(layer instanceof Group group) || names == null) {
                    continue;
                }
                Object data = names.getData();
                // A layer without weights has an empty weight_names (null from jhdf).
                for (int i = 0; data != null && i < Array.getLength(data); i++) {
                    String name = text(Array.get(data, i));
                    Node n = group.getByPath(name);
                    if (!(n instanceof Dataset d)) {
                        throw FiltervisException.failure(file + ": weight " + name + " of layer " + layer.getName() + " is missing");
                    }
                    out.put(name.endsWith(":0") ? name.substring(0, name.length() - 2) : name,
                            new TfjsModel.Weight(java.util.Arrays.stream(d.getDimensions()).asLongStream().toArray(), floats(d.getDataFlat())));
                }
            }
            return TfjsModel.of(modelConfig, out);
        } catch (io.jhdf.exceptions.HdfException e) {
            throw FiltervisException.failure(file + " is not an HDF5 file jhdf can read (" + e.getMessage() + ")");
        }
    }

    private static String text(Object o) {
        if (o instanceof byte[] b) {
            return new String(b, java.nio.charset.StandardCharsets.UTF_8);
        }
        if (o != null && o.getClass().isArray() && Array.getLength(o) == 1) {
            return text(Array.get(o, 0));
        }
        return String.valueOf(o);
    }

    private static float[] floats(Object flat) {
        if (flat instanceof float[] f) {
            return f;
        }
        if (flat instanceof double[] d) {
            float[] f = new float[d.length];
            for (int i = 0; i < d.length; i++) {
                f[i] = (float) d[i];
            }
            return f;
        }
        throw FiltervisException.failure("a Keras weight has type " + flat.getClass().getComponentType() + "; float32 or float64 expected");
    }
}
