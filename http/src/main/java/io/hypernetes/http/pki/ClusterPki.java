package io.hypernetes.http.pki;

import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;

/**
 * The cluster's certificate authority and the certificates it issues, kept as PEM files in {@code DIR/pki}.
 * Generated on first start and reused afterwards, so kubeconfigs written earlier stay valid.
 *
 * <p>Keys are ECDSA P-256: fast to generate and accepted by Go's TLS stack (kubectl) and the JDK's.
 * Client certificates carry the user as CN and groups as O, as Kubernetes' x509 authenticator reads them.
 */
public final class ClusterPki {
    private static final Duration CA_LIFETIME = Duration.ofDays(3650);
    private static final Duration CERT_LIFETIME = Duration.ofDays(365);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Credential ca;
    private final Credential server;
    private final Credential admin;

    /** A certificate and its private key. */
    public record Credential(X509Certificate certificate, PrivateKey key) {
        public String certificatePem() {
            return pem(certificate);
        }

        /** PKCS#8 ("PRIVATE KEY"), which Go's TLS stack and the JDK both read. */
        public String keyPem() {
            return pem(new PemObject("PRIVATE KEY", key.getEncoded()));
        }
    }

    private ClusterPki(Credential ca, Credential server, Credential admin) {
        this.ca = ca;
        this.server = server;
        this.admin = admin;
    }

    /** Loads the PKI from {@code dir}, creating whatever is missing. */
    public static ClusterPki loadOrCreate(Path dir, List<String> serverNames) {
        try {
            Files.createDirectories(dir);
            Credential ca = load(dir, "ca");
            if (ca == null) {
                ca = selfSignedCa();
                save(dir, "ca", ca);
            }
            Credential server = load(dir, "apiserver");
            if (server == null) {
                server = issue(ca, name("hypernetes-apiserver", null), serverNames, KeyPurposeId.id_kp_serverAuth);
                save(dir, "apiserver", server);
            }
            Credential admin = load(dir, "admin");
            if (admin == null) {
                admin = issue(ca, name("admin", "system:masters"), List.of(), KeyPurposeId.id_kp_clientAuth);
                save(dir, "admin", admin);
            }
            return new ClusterPki(ca, server, admin);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot set up the cluster PKI in " + dir, e);
        } catch (GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException("cannot generate certificates", e);
        }
    }

    public Credential ca() {
        return ca;
    }

    public Credential server() {
        return server;
    }

    public Credential admin() {
        return admin;
    }

    /** Issues a client certificate for {@code user} in {@code group} (null for none), signed by the cluster CA. */
    public Credential issueClient(String user, String group) {
        try {
            return issue(ca, name(user, group), List.of(), KeyPurposeId.id_kp_clientAuth);
        } catch (GeneralSecurityException | OperatorCreationException | IOException e) {
            throw new IllegalStateException("cannot issue a client certificate", e);
        }
    }

    private static X500Name name(String commonName, String organization) {
        X500NameBuilder b = new X500NameBuilder(BCStyle.INSTANCE);
        if (organization != null) b.addRDN(BCStyle.O, organization);
        b.addRDN(BCStyle.CN, commonName);
        return b.build();
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
        return g.generateKeyPair();
    }

    private static Credential selfSignedCa() throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair kp = newKeyPair();
        X500Name subject = name("hypernetes-ca", null);
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_LIFETIME)), subject, kp.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign | KeyUsage.digitalSignature));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
        return new Credential(sign(b, kp.getPrivate()), kp.getPrivate());
    }

    private static Credential issue(Credential ca, X500Name subject, List<String> sans, KeyPurposeId purpose)
            throws GeneralSecurityException, OperatorCreationException, IOException {
        KeyPair kp = newKeyPair();
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca.certificate(), serial(),
                Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CERT_LIFETIME)), subject, kp.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca.certificate()));
        if (!sans.isEmpty()) {
            List<GeneralName> names = new ArrayList<>();
            for (String san : sans) {
                boolean ip = san.matches("[0-9.]+") || san.contains(":");
                names.add(new GeneralName(ip ? GeneralName.iPAddress : GeneralName.dNSName, san));
            }
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        }
        return new Credential(sign(b, ca.key()), kp.getPrivate());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey signer)
            throws OperatorCreationException, GeneralSecurityException {
        return new JcaX509CertificateConverter().getCertificate(
                b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
    }

    private static BigInteger serial() {
        return new BigInteger(127, RANDOM);
    }

    /** Names the server certificate should carry: localhost, loopback addresses and this host's name. */
    public static List<String> defaultServerNames() {
        List<String> names = new ArrayList<>(List.of("localhost", "127.0.0.1", "::1", "kubernetes", "kubernetes.default",
                "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"));
        try {
            names.add(InetAddress.getLocalHost().getHostName());
        } catch (IOException ignored) {
            // a host without a resolvable name is still served on loopback
        }
        return names;
    }

    private static String pem(Object o) {
        StringWriter w = new StringWriter();
        try (JcaPEMWriter pw = new JcaPEMWriter(w)) {
            pw.writeObject(o);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return w.toString();
    }

    private static void save(Path dir, String base, Credential c) throws IOException {
        Path key = dir.resolve(base + ".key");
        Files.writeString(key, "", StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING);
        Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(key, c.keyPem());
        Files.writeString(dir.resolve(base + ".crt"), c.certificatePem());
    }

    private static Credential load(Path dir, String base) throws IOException, GeneralSecurityException {
        Path crt = dir.resolve(base + ".crt");
        Path key = dir.resolve(base + ".key");
        if (!Files.exists(crt) || !Files.exists(key)) return null;
        X509Certificate cert;
        try (PEMParser p = new PEMParser(new StringReader(Files.readString(crt)))) {
            cert = new JcaX509CertificateConverter().getCertificate((org.bouncycastle.cert.X509CertificateHolder) p.readObject());
        }
        PrivateKey pk;
        try (PEMParser p = new PEMParser(new StringReader(Files.readString(key)))) {
            Object o = p.readObject();
            JcaPEMKeyConverter conv = new JcaPEMKeyConverter();
            pk = o instanceof PEMKeyPair kp ? conv.getKeyPair(kp).getPrivate() : conv.getPrivateKey((PrivateKeyInfo) o);
        }
        return new Credential(cert, pk);
    }
}
