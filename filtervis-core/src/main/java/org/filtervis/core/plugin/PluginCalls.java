package org.filtervis.core.plugin;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.Optional;

/**
 * Every call into a plugin runs with the plugin's class loader as the thread's context class
 * loader (as Trino's ClassLoaderSafe wrappers do): frameworks inside a plugin look up services and
 * resources through it, at any call, not only while the backend is created. The SPI objects a
 * call returns (a Model from a backend, a GradientProvider from a model, optional ones too) are
 * wrapped the same way.
 */
final class PluginCalls {
    private PluginCalls() {}

    /** {@code target} as {@code type}, each call made with {@code loader} as context class loader. */
    static <T> T wrap(Class<T> type, T target, ClassLoader loader) {
        if (target == null || Proxy.isProxyClass(target.getClass()) || loader == PluginCalls.class.getClassLoader()) {
            return target;
        }
        InvocationHandler handler = (proxy, method, args) -> call(target, method, args, loader);
        return type.cast(Proxy.newProxyInstance(PluginCalls.class.getClassLoader(), new Class<?>[] {type}, handler));
    }

    private static Object call(Object target, Method method, Object[] args, ClassLoader loader) throws Throwable {
        Thread thread = Thread.currentThread();
        ClassLoader before = thread.getContextClassLoader();
        thread.setContextClassLoader(loader);
        try {
            return wrapResult(method, method.invoke(target, args), loader);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        } finally {
            thread.setContextClassLoader(before);
        }
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Object wrapResult(Method method, Object result, ClassLoader loader) {
        if (result instanceof Optional<?> optional && optional.isPresent()
                && method.getGenericReturnType() instanceof java.lang.reflect.ParameterizedType p
                && p.getActualTypeArguments()[0] instanceof Class<?> inner && isSpi(inner)) {
            return Optional.of(wrap((Class) inner, optional.get(), loader));
        }
        Class<?> type = method.getReturnType();
        return isSpi(type) && type.isInstance(result) ? wrap((Class) type, result, loader) : result;
    }

    /** The SPI's interfaces: what a plugin hands back that the host then calls. */
    private static boolean isSpi(Class<?> type) {
        return type.isInterface() && type.getPackageName().equals("org.filtervis.api");
    }
}
