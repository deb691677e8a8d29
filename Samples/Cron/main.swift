// Scaffold: replaced by the sample's code before this lands.
