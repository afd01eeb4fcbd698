// TrellisModel: placeholder until its first real file lands.
