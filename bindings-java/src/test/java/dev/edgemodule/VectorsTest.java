package dev.edgemodule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The Java mirrors of the core's tables checked against the shared vectors of tests/vectors:
 * the system-property slots, twin JSON read through the core, the status enums and the
 * option names.
 */
class VectorsTest {
    @Test
    @SuppressWarnings("unchecked")
    void systemPropertySlotsAreTheCoresCodes() throws ReflectiveOperationException {
        List<Object> names = (List<Object>) Vectors.cases("system_properties.json", "all").get(0).get("expected");
        for (int code = 0; code < names.size(); code++) {
            String constant = ((String) names.get(code)).toUpperCase(Locale.ROOT);
            assertEquals(code, Message.class.getDeclaredField(constant).getInt(null), constant);
        }
        assertEquals(names.size(), Message.SYSTEM_COUNT);
        for (Map<String, Object> c : Vectors.cases("system_properties.json", "property")) {
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            if (expected != null) {
                assertEquals(((Number) c.get("input")).intValue(), Message.class
                        .getDeclaredField(((String) expected.get("name")).toUpperCase(Locale.ROOT)).getInt(null));
            }
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void twinsAreReadTheWayTheCoreReadsThem() {
        for (Map<String, Object> c : Vectors.cases("twin.json", "parse")) {
            String name = (String) c.get("name");
            String hubJson = Json.write(c.get("input"));
            if (c.get("error") != null) {
                EdgeModuleException e = assertThrows(EdgeModuleException.class, () -> Native.twinJson(hubJson), name);
                assertEquals(c.get("error"), e.errorName(), name);
                assertTrue(e.getMessage().contains((String) c.get("error_contains")), name + ": " + e.getMessage());
                continue;
            }
            Map<String, Object> expected = (Map<String, Object>) c.get("expected");
            Twin twin = Twin.fromJson(Native.twinJson(hubJson));
            assertEquals(expected.get("desired"), new LinkedHashMap<>(twin.getDesiredProperties()), name);
            assertEquals(expected.get("reported"), new LinkedHashMap<>(twin.getReportedProperties()), name);
            assertEquals(expected.get("desired_version"), twin.getDesiredProperties().getVersion(), name);
            assertEquals(expected.get("reported_version"), twin.getReportedProperties().getVersion(), name);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void statusEnumsAreTheCoresCodes() {
        List<Object> states = (List<Object>) Vectors.cases("status.json", "all_states").get(0).get("expected");
        assertEquals(states, names(IotHubConnectionStatus.values()));
        for (int code = 0; code < states.size(); code++) {
            assertEquals(states.get(code), IotHubConnectionStatus.fromCode(code).name());
        }
        // The reasons keep iot-device-client's names; only OK is spelled CONNECTION_OK there.
        List<Object> reasons = (List<Object>) Vectors.cases("status.json", "all_reasons").get(0).get("expected");
        List<Object> javaReasons = names(IotHubConnectionStatusChangeReason.values());
        javaReasons.set(javaReasons.indexOf("CONNECTION_OK"), "OK");
        assertEquals(reasons, javaReasons);
    }

    private static List<Object> names(Enum<?>[] values) {
        List<Object> out = new ArrayList<>();
        for (Enum<?> v : values) {
            out.add(v.name());
        }
        return out;
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyCoreOptionHasItsSetterUnderTheCoresName() {
        ClientOptions all = new ClientOptions()
                .mqttPort(8883).httpsPort(443).operationTimeout(Duration.ofSeconds(30)).keepAlive(Duration.ofSeconds(60))
                .sasTokenTimeToLive(Duration.ofHours(1)).sasTokenRenewalPercent(80).maxInflight(100)
                .redeliveryDelay(Duration.ofMillis(500)).handlerAttempts(4)
                .retryDelays(Duration.ofMillis(100), Duration.ofSeconds(10)).retryMultiplier(2).retryJitter(0.2)
                .retryGiveUpAfter(Duration.ofMinutes(5)).trustBundlePem("pem").trustBundleFile("/ca.pem")
                .productInfo("p/1").modelId("dtmi:x;1");
        String[] pairs = all.toNative();
        Set<String> set = new TreeSet<>();
        for (int i = 0; i < pairs.length; i += 2) {
            set.add(pairs[i]);
        }
        List<Object> names = (List<Object>) Vectors.cases("options.json", "names").get(0).get("expected");
        assertEquals(new TreeSet<>(names.stream().map(Object::toString).toList()), set);
        assertEquals(List.of("operation_timeout_ms", "2500", "keep_alive_secs", "90", "retry_give_up_after_ms", "1.5"),
                Arrays.asList(new ClientOptions().operationTimeout(Duration.ofMillis(2500))
                        .keepAlive(Duration.ofSeconds(90)).retryGiveUpAfter(Duration.ofNanos(1_500_000)).toNative()));
    }

    @Test
    void theCoreChecksTheValues() {
        Map<String, String> noIdentity = Map.of();
        InvalidArgumentException e = assertThrows(InvalidArgumentException.class,
                () -> ModuleClient.createFromEnvironment(noIdentity, new ClientOptions().maxInflight(0)));
        assertTrue(e.getMessage().contains("max_inflight"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> ModuleClient.createFromEnvironment(noIdentity,
                new ClientOptions().keepAlive(Duration.ofMillis(1500))));
        assertTrue(e.getMessage().contains("keep_alive_secs"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> ModuleClient.createFromEnvironment(noIdentity,
                new ClientOptions().retryDelays(Duration.ofSeconds(2), Duration.ofSeconds(1))));
        assertTrue(e.getMessage().contains("retry_max_delay_ms"), e.getMessage());
        e = assertThrows(InvalidArgumentException.class, () -> ModuleClient.createFromEnvironment(noIdentity,
                new ClientOptions().retryJitter(Double.NaN)));
        assertTrue(e.getMessage().contains("retry_jitter"), e.getMessage());
        // Valid options get as far as the missing identity.
        assertThrows(ConfigException.class, () -> ModuleClient.createFromEnvironment(noIdentity,
                new ClientOptions().handlerAttempts(2).retryMultiplier(1.5)));
    }
}
