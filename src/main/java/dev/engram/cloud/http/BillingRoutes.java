package dev.engram.cloud.http;

import dev.engram.cloud.billing.BillingService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.function.Supplier;

/** Billing: checkout, portal and the billing view for the tenant's owner and admins; Stripe's webhook. */
final class BillingRoutes {

  private final BillingService billing;

  BillingRoutes(BillingService billing) {
    this.billing = billing;
  }

  void status(RoutingContext ctx) {
    answer(ctx, () -> billing.status(Authenticator.principal(ctx).tenantId()));
  }

  void checkout(RoutingContext ctx) {
    String plan = RequestInput.of(ctx).getString("plan");
    answer(ctx, () -> billing.checkout(Authenticator.principal(ctx).tenantId(), plan));
  }

  void portal(RoutingContext ctx) {
    answer(ctx, () -> billing.portal(Authenticator.principal(ctx).tenantId()));
  }

  /** Unauthenticated: the signature over the raw body is the credential. */
  void webhook(RoutingContext ctx) {
    answer(ctx, () -> billing.webhook(ctx.body().buffer(), ctx.request().getHeader("Stripe-Signature")));
  }

  private static void answer(RoutingContext ctx, Supplier<Future<JsonObject>> call) {
    Future.<Void>succeededFuture().compose(v -> call.get())
        .onSuccess(json -> AccountRoutes.json(ctx, 200, json))
        .onFailure(ctx::fail);
  }
}
