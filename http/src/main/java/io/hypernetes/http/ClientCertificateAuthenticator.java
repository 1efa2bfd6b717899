package io.hypernetes.http;

import io.netty.handler.codec.http.HttpHeaders;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Kubernetes' x509 authentication: the TLS layer already verified the chain against the cluster CA, so the
 * certificate's CN is the user name and each O is a group. The API server and the node agents' servers both use it.
 */
public final class ClientCertificateAuthenticator implements Authenticator {
    @Override
    public Optional<User> authenticate(SSLSession tls, HttpHeaders headers) {
        if (tls == null) return Optional.empty();
        Certificate[] chain;
        try {
            chain = tls.getPeerCertificates();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
        if (chain.length == 0 || !(chain[0] instanceof X509Certificate cert)) return Optional.empty();
        String cn = null;
        List<String> groups = new ArrayList<>();
        try {
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) cn = rdn.getValue().toString();
                if (rdn.getType().equalsIgnoreCase("O")) groups.add(rdn.getValue().toString());
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (cn == null) return Optional.empty();
        groups.add("system:authenticated");
        return Optional.of(new User(cn, List.copyOf(groups), Map.of()));
    }
}
