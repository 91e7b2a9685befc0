// The flashing station (issue 6). Placeholder until the station engine lands.
enum StationModule {}
