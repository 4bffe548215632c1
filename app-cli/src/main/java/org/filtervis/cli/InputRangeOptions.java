package org.filtervis.cli;

import java.util.Optional;
import org.filtervis.core.lucid.InputRange;
import picocli.CommandLine.Option;

/** The model's pixel range and normalization: declared once, for explain and for Lucid's recipe. */
final class InputRangeOptions {
    @Option(names = "--preprocess", paramLabel = "NAME", description = "The model's preprocessing: torchvision, keras-inception, caffe or none,"
            + " instead of --input-range/--mean/--std (visualize: --recipe lucid only).")
    String preprocess;

    @Option(names = "--input-range", paramLabel = "LO:HI", description = Help.INPUT_RANGE)
    String inputRange;

    @Option(names = "--mean", split = ",", paramLabel = "R,G,B", description = "Per-channel mean subtracted after the range.")
    double[] mean;

    @Option(names = "--std", split = ",", paramLabel = "R,G,B", description = "Per-channel deviation divided by after the mean.")
    double[] std;

    boolean given() {
        return preprocess != null || inputRange != null || mean != null || std != null;
    }

    /** What the options say, else the model's own range; empty when neither says anything. */
    Optional<InputRange> range(Optional<InputRange> declared) {
        return given() || declared.isPresent() ? Optional.of(InputRange.choose(preprocess, inputRange, mean, std, given() ? Optional.empty() : declared))
                : Optional.empty();
    }
}
