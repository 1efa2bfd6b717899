package io.hypernetes.kubelet;
