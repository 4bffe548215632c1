package org.filtervis.core.photos;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.Limits;
import org.filtervis.core.io.IoMessages;
import org.filtervis.core.io.Npy;
import org.filtervis.core.lucid.MagnitudeSpectrum;

/**
 * MaCo's magnitude spectrum of a photo collection ({@link MagnitudeSpectrum}): each photo
 * prepared as {@code explain} prepares it (shorter side to {@code size}, centre crop, colours in
 * [0, 1]), one at a time; photos that cannot be read are reported and left out.
 *
 * @param images a photo or a folder of PNG and JPEG files
 * @param size   the side the photos are prepared at (the spectrum is 3 x size x (size / 2 + 1))
 * @param out    the .npy file written
 */
public record SpectrumJob(Path images, int size, Path out) {
    /** The most photos of one folder (read one at a time; only their names are held). */
    static final int MAX_PHOTOS = 1_000_000;

    public SpectrumJob {
        Limits.size(size);
        if (size < 2) {
            throw FiltervisException.usage("image size " + size + " is too small for a spectrum; use 2 or more");
        }
    }

    /** Writes the spectrum; returns the number of photos in it. Notes (a photo left out) go to {@code notes}. */
    public int run(Consumer<String> notes) {
        List<Path> files = Photos.files(images, MAX_PHOTOS);
        MagnitudeSpectrum.Accumulator sum = new MagnitudeSpectrum.Accumulator(size);
        for (Path f : files) {
            try {
                sum.add(Photos.read(f, size).rgb());
            } catch (FiltervisException e) {
                notes.accept("left out: " + e.getMessage());
            }
        }
        float[] mean = sum.mean();
        try {
            Npy.write(out, new long[] {3, size, size / 2 + 1}, mean);
        } catch (IOException e) {
            throw FiltervisException.failure("cannot write " + out + " (" + IoMessages.describe(e) + "); choose a writable path with --out", e);
        }
        return sum.photos();
    }
}
