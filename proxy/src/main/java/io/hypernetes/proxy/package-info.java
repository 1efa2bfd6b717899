/** The tenant service proxy (Services and Endpoints into kubestack load balancers) and the tenant DNS server. */
package io.hypernetes.proxy;
