package org.filtervis.toy;

import org.filtervis.api.BackendOptions;
import org.filtervis.api.ModelBackend;

/** The toy backend as built for another SPI version: 1 (older, still runs) or 99 (newer, refused). */
public abstract class ToyVersionedProvider extends ToyVariant {
    private final int version;

    ToyVersionedProvider(int version) {
        this.version = version;
    }

    @Override
    public int spiVersion() {
        return version;
    }

    @Override
    public String name() {
        return "toy-spi" + version;
    }

    @Override
    public String version() {
        return "toy 1.0 for SPI " + version;
    }

    @Override
    public ModelBackend create(BackendOptions options) {
        return toy.create(options);
    }

    public static final class Old extends ToyVersionedProvider {
        public Old() {
            super(1);
        }
    }

    public static final class Future extends ToyVersionedProvider {
        public Future() {
            super(99);
        }
    }
}
