package dev.engram.cloud.quota;

import io.netty.handler.ipfilter.IpFilterRuleType;
import io.netty.handler.ipfilter.IpSubnetFilterRule;
import io.netty.util.NetUtil;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;

/**
 * Who the client of a request is, for the per-address limits of the public routes. Its address is the socket's
 * peer, unless the peer is one of the {@code http.trusted_proxies}: then it is the rightmost {@code X-Forwarded-For}
 * hop that is not a trusted proxy (hops further left are whatever the client sent, so they are never believed).
 * An IPv4 address counts as it is, an IPv6 address by its /64 (a subscriber is usually given a whole /64, so a limit
 * per single IPv6 address would hold nobody back); an IPv4-mapped IPv6 address counts as its IPv4 address.
 */
public final class ClientAddress {

  private final List<IpSubnetFilterRule> trustedProxies;

  private ClientAddress(List<IpSubnetFilterRule> trustedProxies) {
    this.trustedProxies = trustedProxies;
  }

  /** {@code cidrs}: {@code 10.0.0.0/8}, {@code fd00::/8} or a single address; a malformed one fails at start. */
  public static ClientAddress behind(List<String> cidrs) {
    List<IpSubnetFilterRule> rules = new ArrayList<>();
    for (String cidr : cidrs) {
      String[] parts = cidr.trim().split("/", -1);
      byte[] bytes = NetUtil.createByteArrayFromIpAddressString(parts[0]);
      int bits = bytes == null ? 0 : bytes.length * 8;
      try {
        int prefix = parts.length == 1 ? bits : Integer.parseInt(parts[1]);
        if (bytes == null || parts.length > 2 || prefix < 0 || prefix > bits) throw new NumberFormatException();
        rules.add(new IpSubnetFilterRule(InetAddress.getByAddress(bytes), prefix, IpFilterRuleType.ACCEPT));
      } catch (NumberFormatException | UnknownHostException e) {
        throw new IllegalArgumentException("http.trusted_proxies: '" + cidr + "' is not an address or a CIDR block");
      }
    }
    return new ClientAddress(List.copyOf(rules));
  }

  /** The limit subject of a request from {@code peer} that carries these {@code X-Forwarded-For} headers. */
  public String group(String peer, List<String> forwardedFor) {
    return group(client(peer, forwardedFor));
  }

  /** The client's own address (what the audit log records), by the same rule. */
  public String client(String peer, List<String> forwardedFor) {
    String client = peer;
    if (trusted(peer)) {
      List<String> hops = new ArrayList<>();
      for (String header : forwardedFor) {
        for (String hop : header.split(",")) {
          if (!hop.isBlank()) hops.add(hop.trim());
        }
      }
      for (int i = hops.size() - 1; i >= 0; i--) {
        client = hops.get(i);
        if (!trusted(client)) break;
      }
    }
    return client;
  }

  private boolean trusted(String address) {
    if (trustedProxies.isEmpty()) return false;
    InetAddress parsed = parse(address);
    if (parsed == null) return false;
    InetSocketAddress socket = new InetSocketAddress(parsed, 0);
    return trustedProxies.stream().anyMatch(rule -> rule.matches(socket));
  }

  /** {@code hostAddress}: a literal address (null or anything else groups apart, and is never resolved). */
  public static String group(String hostAddress) {
    InetAddress address = parse(hostAddress);
    if (address == null) return "other:" + hostAddress;
    if (address instanceof Inet4Address) return "ip4:" + address.getHostAddress();
    byte[] bytes = address.getAddress();
    for (int i = 8; i < 16; i++) bytes[i] = 0;
    return "ip6:" + literal(bytes).getHostAddress() + "/64";
  }

  /** Parses literals only, so nothing here can cost a DNS lookup. */
  private static InetAddress parse(String address) {
    byte[] bytes = address == null ? null : NetUtil.createByteArrayFromIpAddressString(address);
    return bytes == null ? null : literal(bytes);
  }

  private static InetAddress literal(byte[] bytes) {
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // only for a wrong length, which the parser never returns
    }
  }
}
