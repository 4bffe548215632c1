package org.filtervis.core.atlas;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.filtervis.api.FiltervisException;
import org.filtervis.core.plugin.BackendRegistry;

/** The installed atlas engines, by name, from the plugins the registry found. */
public final class AtlasEngines {
    private AtlasEngines() {}

    /**
     * Every engine once: the same engine reached twice (an executor has it on its class path and in
     * a plugins folder) is kept once; two different engines of one name are an error.
     */
    public static Map<String, AtlasEngine> of(BackendRegistry registry) {
        Map<String, AtlasEngine> engines = new LinkedHashMap<>();
        for (AtlasEngine e : registry.services(AtlasEngine.class)) {
            String name = e.name();
            AtlasEngine earlier = engines.get(name);
            if (earlier == null) {
                engines.put(name, e);
            } else if (!earlier.getClass().getName().equals(e.getClass().getName())) {
                throw FiltervisException.failure("two atlas engines are named '" + name + "': " + earlier.getClass().getName() + " and "
                        + e.getClass().getName() + "; remove one of them");
            }
        }
        return Collections.unmodifiableMap(engines);
    }
}
