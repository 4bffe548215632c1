package org.filtervis.core.plugin;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.MapBinder;
import java.util.Map;
import org.filtervis.api.BackendProvider;

/** Binds every discovered backend provider by name. Discovery happens before, outside the module. */
public final class BackendModule extends AbstractModule {
    private final Map<String, BackendProvider> providers;

    public BackendModule(Map<String, BackendProvider> providers) {
        this.providers = Map.copyOf(providers);
    }

    @Override
    protected void configure() {
        MapBinder<String, BackendProvider> byName = MapBinder.newMapBinder(binder(), String.class, BackendProvider.class);
        providers.forEach((name, provider) -> byName.addBinding(name).toInstance(provider));
    }
}
