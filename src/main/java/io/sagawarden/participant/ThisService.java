package io.sagawarden.participant;

import io.quarkus.runtime.LaunchMode;
import jakarta.enterprise.context.ApplicationScoped;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.eclipse.microprofile.config.Config;

/**
 * The service never calls its own API or management interface, whatever the allow-list says: a saga must not abort,
 * spawn or read sagas, or read the metrics, through a participant call. A URL is refused when its port is one this
 * service listens on and its host is this machine (a loopback or local interface address). Calls that reach the
 * service by another way (another name, another node) are refused on arrival instead
 * ({@code security.NoCallsFromSagas}).
 */
@ApplicationScoped
public class ThisService {

    private final Set<Integer> ports;

    public ThisService(Config config) {
        boolean test = LaunchMode.current() == LaunchMode.TEST;
        this.ports = new TreeSet<>();
        (test ? Stream.of("quarkus.http.test-port", "quarkus.http.test-ssl-port", "quarkus.management.test-port")
                : Stream.of("quarkus.http.port", "quarkus.http.ssl-port", "quarkus.management.port"))
                .flatMap(name -> config.getOptionalValue(name, Integer.class).stream())
                .filter(port -> port > 0)
                .forEach(ports::add);
    }

    public Set<Integer> ports() {
        return Set.copyOf(ports);
    }

    public boolean isReachedBy(URI url) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        int port = url.getPort() != -1 ? url.getPort() : scheme.equals("https") ? 443 : 80;
        return ports.contains(port) && url.getHost() != null && isThisMachine(url.getHost());
    }

    private static boolean isThisMachine(String host) {
        try {
            for (InetAddress address : InetAddress.getAllByName(host.replaceAll("^\\[|]$", ""))) {
                if (address.isLoopbackAddress() || address.isAnyLocalAddress()
                        || NetworkInterface.getByInetAddress(address) != null) {
                    return true;
                }
            }
            return false;
        } catch (UnknownHostException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }
}
