package dev.engram.cloud.quota;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * Per-address limits hold an IPv6 client by its /64, an IPv4 client by its address, and believe X-Forwarded-For only
 * as far as it was written by trusted proxies.
 */
class ClientAddressTest {

  @Test
  void ipv6_addresses_of_one_64_share_a_limit_and_other_64s_do_not() {
    String group = ClientAddress.group("2001:db8:1:2:aaaa:bbbb:cccc:1");
    assertEquals(group, ClientAddress.group("2001:db8:1:2::2"));
    assertEquals(group, ClientAddress.group("2001:0db8:0001:0002:ffff:ffff:ffff:ffff"), "however it is written");
    assertNotEquals(group, ClientAddress.group("2001:db8:1:3::1"));
    assertEquals(ClientAddress.group("::1"), ClientAddress.group("0:0:0:0:0:0:0:1"));
  }

  @Test
  void ipv4_addresses_are_limited_one_by_one_also_when_mapped_into_ipv6() {
    assertNotEquals(ClientAddress.group("203.0.113.7"), ClientAddress.group("203.0.113.8"));
    assertEquals(ClientAddress.group("203.0.113.7"), ClientAddress.group("::ffff:203.0.113.7"));
  }

  @Test
  void something_that_is_not_an_address_is_never_looked_up_and_stays_apart() {
    assertEquals("other:localhost", ClientAddress.group("localhost"));
    assertEquals("other:null", ClientAddress.group(null));
  }

  @Test
  void without_trusted_proxies_x_forwarded_for_is_ignored() {
    ClientAddress direct = ClientAddress.behind(List.of());
    assertEquals(ClientAddress.group("198.51.100.1"), direct.group("198.51.100.1", List.of("203.0.113.9")));
  }

  @Test
  void behind_a_trusted_proxy_the_client_is_the_rightmost_hop_it_does_not_trust() {
    ClientAddress proxied = ClientAddress.behind(List.of("10.0.0.0/8", "fd00::/8", "192.0.2.7"));
    String client = ClientAddress.group("203.0.113.9");
    assertEquals(client, proxied.group("10.1.2.3", List.of("203.0.113.9")));
    assertEquals(client, proxied.group("10.1.2.3", List.of("6.6.6.6, 203.0.113.9, 192.0.2.7")),
        "hops left of the client are its own claims; a chain of trusted proxies is skipped");
    assertEquals(client, proxied.group("fd12::1", List.of("1.1.1.1", "203.0.113.9,10.9.9.9")),
        "several headers read as one list");
    assertEquals(ClientAddress.group("10.1.2.3"), proxied.group("10.1.2.3", List.of()), "no header: the proxy itself");
    assertEquals(ClientAddress.group("198.51.100.1"), proxied.group("198.51.100.1", List.of("203.0.113.9")),
        "an untrusted peer's header is its own claim");
    assertNotEquals(client, proxied.group("10.1.2.3", List.of("203.0.113.10")));
  }

  @Test
  void a_malformed_trusted_proxy_fails_at_start() {
    for (String bad : List.of("10.0.0.0/33", "proxy.internal", "10.0.0.0/x", "::/129", "10.0.0.0/8/8")) {
      assertThrows(IllegalArgumentException.class, () -> ClientAddress.behind(List.of(bad)), bad);
    }
  }
}
