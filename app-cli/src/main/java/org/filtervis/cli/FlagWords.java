package org.filtervis.cli;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The library says what is wrong in its own words ("the output folder", "cosine tolerance"); the
 * command line says it with the flag that sets it, so the fix is plain at the prompt.
 */
final class FlagWords {
    private FlagWords() {}

    private record Rule(Pattern library, String cli) {}

    private static final List<Rule> RULES = List.of(
            rule("^the output folder is empty; name one", "--out is empty; name an output folder"),
            rule("^the site's folder is empty; name one", "--out is empty; name the site's folder"),
            rule("^site (\\S+) is ", "--out $1 is "),
            rule("^cosine tolerance ", "--tolerance-cosine "),
            rule("^PSNR tolerance ", "--tolerance-psnr "),
            rule("^backends ", "--backends "),
            rule("^Spark master ", "--master "),
            rule("^a cluster belongs to an engine that runs elsewhere, not to the local one", "--master belongs to an engine that runs elsewhere"
                    + " (--engine spark), not to --engine local"),
            rule("^filters (\\S+) name none ", "--filters $1 names none "),
            rule("^layers '", "--layers '"),
            rule("^top classes (\\S+) must", "--top $1 must"),
            rule("^top classes (\\S+) is more", "--top $1 is more"),
            rule("^integrated-gradients steps ", "--ig-steps "),
            rule("^the labels have ", "the labels (--labels or the model's) have "),
            rule("give the model's preprocessing or input range", "give --preprocess torchvision|keras-inception|caffe or --input-range"),
            rule("run without redirection", "run without --redirect-relu"),
            rule("check with another backend", "check with another --backend"),
            rule("^threads (\\S+) is not 0", "--threads $1 is not 0"),
            rule("^image size (\\S+) is not 1 to", "--size $1 is not 1 to"),
            rule("^batch (\\S+) is not 1 to", "--batch $1 is not 1 to"),
            rule("^steps (\\S+) is not 1 to", "--steps $1 is not 1 to"),
            rule("^step length (\\S+) is not a finite", "--lr $1 is not a finite"),
            rule("^border (\\S+) is not 0 to", "--border $1 is not 0 to"),
            rule("^top examples (\\S+) is not", "--top $1 is not"),
            rule("^bottom examples (\\S+) is not", "--bottom $1 is not"),
            rule("^reduction (\\S+) is not max or mean", "--reduce $1 is not max or mean"),
            rule("^redirected ReLU steps must be 0 or more", "--redirect-relu must be 0 or more steps"),
            rule("lower the batch \\(or the image size\\)", "lower --batch (or --size)"),
            rule("lower the batch \\(1 needs about ([^)]*)\\) or the image size", "lower --batch (1 needs about $1) or --size"),
            rule("^std (\\[[^\\]]*\\]) has", "--std $1 has"),
            rule("^mean (\\[[^\\]]*\\]) has", "--mean $1 has"),
            rule("^input range (\\S+) is not LO:HI", "--input-range $1 is not LO:HI"),
            rule("^the mean and std need ", "--mean and --std need "),
            rule("check the master URL", "check --master"),
            rule("and the step length$", "and --lr"));

    private static Rule rule(String library, String cli) {
        return new Rule(Pattern.compile(library), Matcher.quoteReplacement(cli).replace("\\$", "$"));
    }

    /** The message with the library's words for a setting replaced by the flag that sets it. */
    static String of(String message) {
        String m = message;
        for (Rule r : RULES) {
            m = r.library().matcher(m).replaceAll(r.cli());
        }
        return m;
    }
}
