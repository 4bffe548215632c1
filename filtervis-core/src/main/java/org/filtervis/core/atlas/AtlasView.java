package org.filtervis.core.atlas;

import java.util.ArrayList;
import java.util.List;
import org.filtervis.api.FiltervisException;
import org.filtervis.api.Objective;

/**
 * One of Microscope's views of a unit, each rendered with the atlas's recipe: the channel (the
 * filter's own tile), its negative (what drives the channel down), the neuron at the centre of
 * the map, and {@link #DIVERSE_IMAGES} diverse images (Lucid's {@code channel - w * diversity},
 * w = {@link #DIVERSITY_WEIGHT}, optimized together from different noise).
 */
public enum AtlasView {
    CHANNEL("channel", "the channel"),
    NEGATIVE("negative", "the negative channel"),
    NEURON("neuron", "the neuron at the centre"),
    DIVERSITY("diversity", "diverse images");

    /** Images of the diversity view, one batch. */
    public static final int DIVERSE_IMAGES = 4;
    /** The diversity term's weight, Lucid's (its diversity notebook: channel - 1e2 * diversity). */
    public static final double DIVERSITY_WEIGHT = 100;

    private final String word;
    private final String caption;

    AtlasView(String word, String caption) {
        this.word = word;
        this.caption = caption;
    }

    /** The name --views takes and the tiles' folder carries. */
    public String word() {
        return word;
    }

    /** How the filter page titles the view. */
    public String caption() {
        return caption;
    }

    /** Images per filter. */
    public int images() {
        return this == DIVERSITY ? DIVERSE_IMAGES : 1;
    }

    /** The view's objective on a layer, each image's channel its filter; null for the channel (the fused path). */
    public Objective objective(String layer, int border) {
        Objective.Channel channel = new Objective.Channel(layer, null, border);
        return switch (this) {
            case CHANNEL -> null;
            case NEGATIVE -> new Objective.Sum(List.of(new Objective.Weighted(-1, channel)));
            case NEURON -> new Objective.Neuron(layer, null, null, null);
            case DIVERSITY -> new Objective.Sum(List.of(new Objective.Weighted(1, channel),
                    new Objective.Weighted(-DIVERSITY_WEIGHT, new Objective.Diversity(layer))));
        };
    }

    /** The views named in {@code spec} (commas), the channel first, each once. */
    public static List<AtlasView> parse(String spec) {
        List<AtlasView> out = new ArrayList<>(List.of(CHANNEL));
        for (String part : spec.split(",", -1)) {
            String w = part.strip();
            AtlasView v = null;
            for (AtlasView c : values()) {
                if (c.word.equals(w)) {
                    v = c;
                }
            }
            if (v == null) {
                throw FiltervisException.usage("--views names '" + w + "'; give channel, negative, neuron or diversity, separated by commas");
            }
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        return List.copyOf(out);
    }
}
