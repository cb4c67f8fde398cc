import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

/**
 * A small HTTP server that answers GET / with a greeting. The greeting and the port come from
 * application.properties next to the JAR (or the file named by -Dconfig=...), so the same JAR can be
 * assembled with different configuration.
 */
public final class HelloWorldServer {
    public static void main(String[] args) throws IOException {
        Properties config = loadConfig();
        int port = Integer.parseInt(System.getProperty("port", config.getProperty("server.port", "8080")));
        String greeting = config.getProperty("greeting", "Hello, World!");

        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/", exchange -> respond(exchange, greeting));
        server.start();
        System.out.println("HelloWorldServer listening on http://127.0.0.1:" + server.getAddress().getPort() + "/");
    }

    private static void respond(HttpExchange exchange, String greeting) throws IOException {
        boolean root = "/".equals(exchange.getRequestURI().getPath());
        int status = !"GET".equals(exchange.getRequestMethod()) ? 405 : root ? 200 : 404;
        byte[] body = (status == 200 ? greeting + "\n" : "not found\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    private static Properties loadConfig() throws IOException {
        Properties config = new Properties();
        Path file = Path.of(System.getProperty("config", jarDirectory().resolve("conf/application.properties").toString()));
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                config.load(in);
            }
        }
        return config;
    }

    private static Path jarDirectory() {
        try {
            return Path.of(HelloWorldServer.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
        } catch (Exception e) {
            return Path.of(".");
        }
    }
}
