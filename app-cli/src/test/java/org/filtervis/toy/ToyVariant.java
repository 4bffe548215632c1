package org.filtervis.toy;

import java.nio.file.Path;
import java.util.List;
import org.filtervis.api.BackendProvider;

/**
 * A variant of the toy backend under another name: the toy's formats and devices, never the
 * default for a file (it is picked by name). Subclasses say what differs.
 */
abstract class ToyVariant implements BackendProvider {
    final ToyProvider toy = new ToyProvider();

    @Override
    public int spiVersion() {
        return SPI_VERSION;
    }

    @Override
    public List<String> modelFormats() {
        return toy.modelFormats();
    }

    @Override
    public List<String> devices() {
        return toy.devices();
    }

    @Override
    public boolean canOpen(Path model) {
        return false;
    }
}
