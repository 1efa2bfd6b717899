package io.hypernetes.kubemark;
