// Scaffold: replaced by the samples' end-to-end tests before this lands.
