package org.filtervis.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.filtervis.core.photos.SpectrumJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "spectrum", description = "Computes MaCo's magnitude spectrum (the mean |rfft2| in Lucid's decorrelated colours) of a photo"
        + " collection, for --recipe maco --spectrum.")
final class SpectrumCommand implements Callable<Integer> {
    @ParentCommand
    Filtervis top;

    @Option(names = "--images", required = true, paramLabel = "PATH", description = Help.IMAGES)
    Path images;

    /** The photos' side: MaCo's buffer by default (a spectrum of another size is resized to the buffer's). */
    @Option(names = "--size", paramLabel = "PX", description = Help.SIZE)
    Integer size;

    @Option(names = "--out", required = true, paramLabel = "PATH", description = Help.OUT)
    Path out;

    @Override
    public Integer call() {
        int side = size != null ? size : org.filtervis.core.lucid.MacoRecipe.SIZE;
        int photos = new SpectrumJob(images, side, out).run(note -> top.err.println("filtervis: " + note));
        top.out.println("wrote " + out + " (float32 [3, " + side + ", " + (side / 2 + 1) + "], the mean magnitude of " + photos + " photos at "
                + side + " px)");
        return 0;
    }
}
