package io.sagawarden.participant;

import java.net.URI;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One entry of the participant allow-list: {@code scheme://host[:port][/path-prefix]}. The host may start with
 * {@code *.} (any subdomain) and the port may be {@code *} (any port); without a port only the scheme's default
 * port matches. Matching is by parts, never by text, so {@code 127.0.0.1.evil.example} cannot pass for
 * {@code 127.0.0.1}.
 */
public record AllowedUrl(String scheme, String host, Integer port, boolean anyPort, String pathPrefix) {

    private static final Pattern FORM = Pattern.compile("(?i)(https?)://(\\[[0-9a-f:.]+]|[^/:\\[\\]@?#]+)(?::(\\*|\\d{1,5}))?(/[^?#]*)?");

    public static AllowedUrl parse(String entry) {
        Matcher m = FORM.matcher(entry.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + entry + "' is not of the form scheme://host[:port][/path]");
        }
        String scheme = m.group(1).toLowerCase(Locale.ROOT);
        String port = m.group(3);
        boolean anyPort = "*".equals(port);
        Integer fixedPort = anyPort ? null : port == null ? Integer.valueOf(defaultPort(scheme)) : Integer.valueOf(port);
        String path = m.group(4) == null ? "/" : m.group(4);
        return new AllowedUrl(scheme, m.group(2).toLowerCase(Locale.ROOT), fixedPort, anyPort, path);
    }

    /**
     * The path must be inside the prefix both as it goes on the wire and as any server could decode it
     * ({@link DecodedPath}); a path that decodes to a way out of its segment matches nothing.
     */
    public boolean matches(URI url) {
        String urlScheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        String urlHost = url.getHost() == null ? "" : url.getHost().toLowerCase(Locale.ROOT);
        int urlPort = url.getPort() == -1 ? defaultPort(urlScheme) : url.getPort();
        String rawPath = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
        return urlScheme.equals(scheme)
                && hostMatches(urlHost)
                && (anyPort || port == urlPort)
                && pathMatches(rawPath)
                && DecodedPath.of(rawPath).filter(this::pathMatches).isPresent();
    }

    /** {@code /api} admits {@code /api} and {@code /api/...}, never {@code /apiary}. */
    private boolean pathMatches(String urlPath) {
        return pathPrefix.endsWith("/")
                ? urlPath.startsWith(pathPrefix)
                : urlPath.equals(pathPrefix) || urlPath.startsWith(pathPrefix + "/");
    }

    private boolean hostMatches(String urlHost) {
        if (host.startsWith("*.")) {
            return urlHost.endsWith(host.substring(1)) && urlHost.length() > host.length() - 1;
        }
        return urlHost.equals(host);
    }

    private static int defaultPort(String scheme) {
        return scheme.equals("https") ? 443 : 80;
    }
}
