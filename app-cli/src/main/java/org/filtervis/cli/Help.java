package org.filtervis.cli;

/**
 * The help text of every flag that more than one command takes, written once: a flag means one
 * thing everywhere ({@code OptionsTest} checks it), and where a command uses it its own way the
 * one text says how.
 */
final class Help {
    private Help() {}

    static final String MODEL = "Model file (default: the embedded demo network; convert: required).";
    static final String BACKEND = "Backend to use (default: the one that opens the model's format; convert: the one that writes the target format).";
    static final String ENGINE = "Where it runs: local, in this process (default); spark, as an Apache Spark job (atlas: tasks of a layer's"
            + " chunk of filters; examples: partitions of photos, stored for a rerun), or another installed engine.";
    static final String MASTER = "spark: the cluster, e.g. local[2], spark://HOST:7077, yarn, k8s://... (default: spark-submit's --master when"
            + " run by it, else local[N] inside this process, N the cores).";
    static final String IMAGES = "Photos: a folder of PNG and JPEG files, searched recursively (other files are listed as skipped); spectrum"
            + " averages them, examples scans them (also a Hadoop folder, hdfs:// or s3a://, through an installed engine), atlas shows each"
            + " filter's best ones beside its visualization.";
    static final String LAYERS = "Layers: blocks (the suggested ones with height and width; the default), all (every layer with height and"
            + " width) or a list (the demo: mixed0 to mixed5).";
    static final String TOP = "How many to keep: explain, each photo's N highest-scoring classes (default 1); examples, the N photos per"
            + " channel with the largest values (default 9).";
    static final String SIZE = "Image height and width (default: the model's own size if fixed, else 180; explain 224; spectrum 512, the side"
            + " the photos are prepared at).";
    static final String LAYER = "Layer: the one whose filters to visualize or differentiate (required with --model; the demo's default is mixed4 of"
            + " InceptionV3, or gabor_relu of the generated network); in explain, the class activation maps' (default: the last layer with height"
            + " and width before the head).";
    static final String OBJECTIVE = "What to maximize or differentiate instead of a layer's channel, e.g. \"channel(mixed4, f) - 0.01 * tv()\""
            + " (docs/visualize.md lists every objective; f is each image's filter).";
    static final String FILTERS = "Filters, e.g. 0-63, 0,5,9 or 3,7,7: visualize, compare and atlas draw each once (default: the first 64, 16 for"
            + " the InceptionV3 demo; compare 0-7; atlas all); gradient takes one image per entry, repeats included.";
    static final String BATCH = "Images per pass, one per filter (default: ${DEFAULT-VALUE}).";
    static final String SEED = "Seed of every random draw: the initial noise; in explain, SmoothGrad's noise and the noise baseline"
            + " (default: ${DEFAULT-VALUE}).";
    static final String OUT = "Output folder (default: visualize filtervis-out, compare filtervis-compare, explain explain-out, atlas"
            + " filtervis-atlas); atlas also takes a Hadoop path such as hdfs://namenode:8020/atlas or"
            + " s3a://bucket/atlas (written through the Spark engine's Hadoop libraries); spectrum: the .npy file to write.";
    static final String OUTPUT = "Where to write the result: gradient's .npy, export-gradient's .onnx, or convert's model (a SavedModel folder"
            + " must not exist yet; an ONNX file is replaced whole).";
    static final String INPUT_RANGE = "The model's pixel range: 0:1, -1:1 or 0:255 (default: the model's own where it records one, else 0:1;"
            + " visualize: --recipe lucid only; convert --to onnx: recorded in the model, which explain and --recipe lucid then use).";
    static final String LABELS = "Class names, a text file with one per line (default: the names the model records, if any; convert --to onnx:"
            + " recorded in the model, which explain then shows).";
}
